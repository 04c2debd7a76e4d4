package io.bitnet4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer of a GGUF vocabulary: byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}: LLaMA-3, Falcon3,
 * BitNet b1.58 2B4T) or SentencePiece ({@code "llama"}: bitnet_b1_58-large / -3B).
 *
 * <p>Encoding: optionally cut out special tokens written literally in the text; then, for BPE, split the rest into
 * pre-tokens ({@link PreTokenizer}), map each pre-token's UTF-8 bytes to their byte tokens and apply merges, always
 * the lowest-ranked adjacent pair first (leftmost on ties); for SentencePiece, encode each stretch of ordinary
 * text whole ({@link SentencePiece}). Immutable and thread-safe after construction.
 */
public final class Tokenizer {

    /** Pre-tokens longer than this are not cached (they are rare and would bloat the cache). */
    private static final int MAX_CACHED_PIECE_CHARS = 64;
    private static final int MAX_CACHE_ENTRIES = 1 << 16;

    private final String[] tokens;
    private final int[] types;
    private final Map<String, Integer> idsByText;
    /** Bytes each token stands for when decoded. */
    private final byte[][] tokenBytes;
    /** Token id of each single byte (byte-level vocabularies contain all 256). */
    private final int[] byteTokens = new int[256];
    private final MergeTable merges;
    private final PreTokenizer preTokenizer;
    /** Special tokens grouped by first char, longest first, for literal matching when parseSpecial is on. */
    private final Map<Character, int[]> specialsByFirstChar;
    private final int bos;
    private final int eos;
    private final int eot;
    private final int eom;
    private final boolean addBos;
    private final String chatTemplate;
    private final Map<String, int[]> pieceCache = new ConcurrentHashMap<>();
    /** SentencePiece instead of byte-level BPE: its scores, and whether a space goes before each stretch of text. */
    private final boolean sentencePiece, addSpacePrefix;
    private final float[] scores;

    private Tokenizer(TokenizerData d, PreTokenizer mode) {
        int n = d.tokens().size();
        this.sentencePiece = d.sentencePiece();
        this.addSpacePrefix = d.addSpacePrefix();
        this.scores = d.scores() == null ? null : d.scores().clone();
        this.tokens = d.tokens().toArray(new String[0]);
        this.types = new int[n];
        this.idsByText = new HashMap<>(n * 2);
        this.tokenBytes = new byte[n][];
        for (int id = 0; id < n; id++) {
            types[id] = d.typeOf(id);
            idsByText.putIfAbsent(tokens[id], id);
            tokenBytes[id] = sentencePiece ? sentencePieceBytesOf(tokens[id], types[id]) : bytesOf(tokens[id], types[id]);
        }
        this.preTokenizer = mode;
        if (sentencePiece) initSentencePieceByteTokens();
        else initByteTokens();
        this.merges = buildMergeTable(d.merges());
        this.specialsByFirstChar = indexSpecials();
        this.bos = d.bos();
        this.eos = d.eos();
        this.eot = d.eot() >= 0 ? d.eot() : idsByText.getOrDefault("<|eot_id|>", -1);
        this.eom = idsByText.getOrDefault("<|eom_id|>", -1);
        this.addBos = d.addBos();
        this.chatTemplate = d.chatTemplate();
    }

    /**
     * Builds a tokenizer from GGUF-style data with an explicit pre-tokenizer mode (which a SentencePiece vocabulary,
     * having no pre-tokenizer, does not use).
     */
    public static Tokenizer create(TokenizerData data, PreTokenizer mode) {
        if (data.sentencePiece()) return new Tokenizer(data, null);
        if (mode == null) {
            throw new IllegalArgumentException("a pre-tokenizer mode is required (see PreTokenizer.forGguf)");
        }
        return new Tokenizer(data, mode);
    }

    /**
     * Builds a tokenizer for GGUF data, choosing the mode from {@code tokenizer.ggml.pre}; when that key is absent
     * (as in the official 2B4T file) {@code whenAbsent} is used: {@link PreTokenizer#LLAMA3} for the model's
     * true tokenization, {@link PreTokenizer#BITNET_CPP_COMPAT} to reproduce bitnet.cpp's token ids.
     */
    public static Tokenizer fromGguf(TokenizerData data, PreTokenizer whenAbsent) {
        PreTokenizer declared = PreTokenizer.forGguf(data.preTokenizer());
        return create(data, declared != null ? declared : whenAbsent);
    }

    /**
     * Loads a Hugging Face tokenizer.json (BPE model) with the LLaMA-3 pre-tokenizer. Needs Jackson
     * ({@code com.fasterxml.jackson.core:jackson-databind}), an optional dependency of this library.
     *
     * @throws IllegalStateException when Jackson is not on the class path (the message names the artifact)
     * @throws IllegalArgumentException when the file is not a byte-level BPE tokenizer.json
     */
    public static Tokenizer fromHfTokenizerJson(Path file) {
        return fromHfTokenizerJson(file, PreTokenizer.LLAMA3);
    }

    /** As {@link #fromHfTokenizerJson(Path)}, with the given pre-tokenizer. */
    public static Tokenizer fromHfTokenizerJson(Path file, PreTokenizer mode) {
        return create(HfTokenizerJson.read(file), mode);
    }

    // ------------------------------------------------------------------------------------------ setup

    /** Normal tokens are byte-level strings; special/user-defined tokens decode to their literal text. */
    private static byte[] bytesOf(String token, int type) {
        if (type == TokenizerData.TYPE_NORMAL || type == TokenizerData.TYPE_BYTE || type == TokenizerData.TYPE_UNUSED) {
            byte[] raw = ByteLevel.decode(token);
            if (raw != null) {
                return raw;
            }
        }
        return token.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * SentencePiece tokens: "▁" stands for a space, a byte token {@code <0xXX>} for its byte; special tokens decode
     * to their literal text.
     */
    private static byte[] sentencePieceBytesOf(String token, int type) {
        if (type == TokenizerData.TYPE_BYTE && SentencePiece.byteOf(token) >= 0) return new byte[] {(byte) SentencePiece.byteOf(token)};
        if (type == TokenizerData.TYPE_NORMAL || type == TokenizerData.TYPE_USER_DEFINED || type == TokenizerData.TYPE_UNUSED)
            return token.replace(SentencePiece.SPACE, " ").getBytes(StandardCharsets.UTF_8);
        return token.getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code <0xXX>} token of each byte (else, for ASCII, the one-character token), -1 where there is none. */
    private void initSentencePieceByteTokens() {
        Arrays.fill(byteTokens, -1);
        for (int b = 0; b < 256; b++) {
            Integer id = idsByText.get(String.format("<0x%02X>", b));
            if (id == null && b < 0x80) id = idsByText.get(String.valueOf((char) b));
            if (id != null) byteTokens[b] = id;
        }
    }

    private void initByteTokens() {
        for (int b = 0; b < 256; b++) {
            Integer id = idsByText.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException("not a byte-level BPE vocabulary: no token for byte 0x"
                        + Integer.toHexString(b) + " ('" + ByteLevel.charOf(b) + "')");
            }
            byteTokens[b] = id;
        }
    }

    /** Merge rank = line index; lines whose parts or result are not in the vocabulary are ignored. */
    private MergeTable buildMergeTable(List<String> mergeLines) {
        MergeTable table = new MergeTable(mergeLines.size());
        for (int rank = 0; rank < mergeLines.size(); rank++) {
            String line = mergeLines.get(rank);
            int space = line.indexOf(' ', 1); // a part may itself start with a space char in odd vocabularies
            if (space < 0) {
                throw new IllegalArgumentException("merge " + rank + " has no space: \"" + line + "\"");
            }
            String left = line.substring(0, space);
            String right = line.substring(space + 1);
            Integer l = idsByText.get(left);
            Integer r = idsByText.get(right);
            Integer result = idsByText.get(left + right);
            if (l != null && r != null && result != null) {
                table.put(l, r, rank, result);
            }
        }
        return table;
    }

    private Map<Character, int[]> indexSpecials() {
        Map<Character, List<Integer>> groups = new HashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            if (isSpecialType(types[id]) && !tokens[id].isEmpty()) {
                groups.computeIfAbsent(tokens[id].charAt(0), k -> new ArrayList<>()).add(id);
            }
        }
        Map<Character, int[]> index = new HashMap<>();
        groups.forEach((first, ids) -> index.put(first, ids.stream()
                .sorted(Comparator.comparingInt((Integer id) -> -tokens[id].length()).thenComparingInt(id -> id))
                .mapToInt(Integer::intValue).toArray()));
        return index;
    }

    /** Unknown, control and user-defined tokens are matched literally (only with parseSpecial). */
    private static boolean isSpecialType(int type) {
        return type == TokenizerData.TYPE_UNKNOWN || type == TokenizerData.TYPE_CONTROL
                || type == TokenizerData.TYPE_USER_DEFINED;
    }

    // ------------------------------------------------------------------------------------------ encoding

    /**
     * Encodes text without BOS.
     *
     * @param parseSpecial when true, the texts of unknown/control/user-defined tokens such as "&lt;|eot_id|&gt;"
     *                     become their ids (longest match first); when false they are tokenized as ordinary text.
     *                     (llama.cpp always matches user-defined tokens; the 2B4T vocabulary has none, its 256
     *                     added tokens are all control tokens, so the difference does not arise there.)
     */
    public int[] encode(String text, boolean parseSpecial) {
        IntList out = new IntList(Math.max(8, text.length() / 3));
        encodeInto(text, parseSpecial, out);
        return out.toArray();
    }

    /** Encodes text, prepending BOS when the vocabulary asks for it ({@code add_bos_token}). */
    public int[] encodeWithBos(String text, boolean parseSpecial) {
        IntList out = new IntList(Math.max(8, text.length() / 3 + 1));
        if (addBos && bos >= 0) {
            out.add(bos);
        }
        encodeInto(text, parseSpecial, out);
        return out.toArray();
    }

    /**
     * Encodes text parsing special tokens everywhere except inside the given ranges, which are ordinary text.
     * For a chat template filled with user text: the template's own "&lt;|eot_id|&gt;" is the control token,
     * while the same characters typed by a user are not (they cannot end the turn or fake a role). A special
     * token that would straddle a range edge is not matched either. Text inside and around a range is one
     * segment, so it tokenizes exactly as {@code encode(text, true)} would when the user text has no specials.
     *
     * @param literalRanges sorted, non-overlapping [from, to) pairs of char offsets: {from0, to0, from1, to1, ...}
     */
    public int[] encode(String text, int[] literalRanges) {
        if (literalRanges.length % 2 != 0) throw new IllegalArgumentException("literal ranges come in [from, to) pairs");
        for (int i = 0; i < literalRanges.length; i++)
            if (literalRanges[i] < (i == 0 ? 0 : literalRanges[i - 1]) || literalRanges[i] > text.length())
                throw new IllegalArgumentException("literal ranges must be sorted and inside the text");
        IntList out = new IntList(Math.max(8, text.length() / 3));
        encodeInto(text, true, literalRanges, out);
        return out.toArray();
    }

    private void encodeInto(String text, boolean parseSpecial, IntList out) {
        encodeInto(text, parseSpecial, NO_RANGES, out);
    }

    private static final int[] NO_RANGES = {};

    private void encodeInto(String text, boolean parseSpecial, int[] literal, IntList out) {
        if (!parseSpecial || specialsByFirstChar.isEmpty()) {
            encodeOrdinary(text, 0, text.length(), out);
            return;
        }
        int segmentStart = 0;
        int pos = 0;
        int r = 0; // index of the first literal range not yet passed
        while (pos < text.length()) {
            // Pass ranges that end at or before pos, and empty ones (they protect nothing).
            while (r < literal.length && (literal[r + 1] <= pos || literal[r] == literal[r + 1])) r += 2;
            if (r < literal.length && pos >= literal[r]) {
                pos = literal[r + 1]; // inside a literal range: skip it whole
                continue;
            }
            int special = matchSpecialAt(text, pos);
            if (special >= 0 && r < literal.length && pos + tokens[special].length() > literal[r]) special = -1; // straddles
            if (special < 0) {
                pos++;
                continue;
            }
            encodeOrdinary(text, segmentStart, pos, out);
            out.add(special);
            pos += tokens[special].length();
            segmentStart = pos;
        }
        encodeOrdinary(text, segmentStart, text.length(), out);
    }

    /** The longest special token whose text starts at {@code pos}, or -1. */
    private int matchSpecialAt(String text, int pos) {
        int[] candidates = specialsByFirstChar.get(text.charAt(pos));
        if (candidates != null) {
            for (int id : candidates) {
                if (text.startsWith(tokens[id], pos)) {
                    return id;
                }
            }
        }
        return -1;
    }

    private void encodeOrdinary(String text, int from, int to, IntList out) {
        if (from >= to) {
            return;
        }
        if (sentencePiece) { // every stretch of ordinary text is at the start or follows a special token: a space before it
            SentencePiece.encode(text.substring(from, to), addSpacePrefix, idsByText, scores, byteTokens, out);
            return;
        }
        List<String> pieces = new ArrayList<>();
        preTokenizer.split(text, from, to, pieces);
        for (String piece : pieces) {
            out.addAll(encodePiece(piece));
        }
    }

    private int[] encodePiece(String piece) {
        int[] cached = pieceCache.get(piece);
        if (cached != null) {
            return cached;
        }
        int[] ids = encodeUncached(piece.getBytes(StandardCharsets.UTF_8));
        if (piece.length() <= MAX_CACHED_PIECE_CHARS) {
            if (pieceCache.size() >= MAX_CACHE_ENTRIES) {
                pieceCache.clear(); // crude bound; the hot words come right back
            }
            pieceCache.put(piece, ids);
        }
        return ids;
    }

    private int[] encodeUncached(byte[] bytes) {
        if (preTokenizer.ignoreMerges()) {
            Integer whole = idsByText.get(ByteLevel.encode(bytes));
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteTokens[bytes[i] & 0xFF];
        }
        return Bpe.merge(symbols, merges);
    }

    // ------------------------------------------------------------------------------------------ decoding

    /** Decodes ids to text; special tokens appear as their text; invalid UTF-8 becomes U+FFFD. */
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    /** As {@link #decode(int[])}; with {@code includeSpecial = false} control tokens (BOS, EOT…) are dropped. */
    public String decode(int[] ids, boolean includeSpecial) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (!includeSpecial && isControl(id)) {
                continue;
            }
            buf.writeBytes(tokenBytes(id));
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The bytes token {@code id} stands for (a fresh copy). */
    public byte[] tokenBytes(int id) {
        checkId(id);
        return tokenBytes[id].clone();
    }

    /** Appends the bytes of {@code id} without copying twice (for the streaming decoder). */
    void appendTokenBytes(int id, ByteArrayOutputStream out) {
        checkId(id);
        out.writeBytes(tokenBytes[id]);
    }

    /** The token's string as stored in the vocabulary (byte-level form, e.g. "Ġthe"). */
    public String tokenText(int id) {
        checkId(id);
        return tokens[id];
    }

    /** Id of the token whose vocabulary string is {@code text}, or -1. */
    public int tokenId(String text) {
        return idsByText.getOrDefault(text, -1);
    }

    public int tokenType(int id) {
        checkId(id);
        return types[id];
    }

    public boolean isControl(int id) {
        return id >= 0 && id < types.length && types[id] == TokenizerData.TYPE_CONTROL;
    }

    public int vocabSize() {
        return tokens.length;
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    /** Id of "&lt;|eot_id|&gt;", or -1. */
    public int eot() {
        return eot;
    }

    public boolean addBos() {
        return addBos;
    }

    /** The pre-tokenizer of a byte-level BPE vocabulary; null for SentencePiece, which has none. */
    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    /** Whether this is a SentencePiece vocabulary (GGUF tokenizer model "llama") rather than byte-level BPE. */
    public boolean sentencePiece() {
        return sentencePiece;
    }

    /** The GGUF chat template string, or null. */
    public String chatTemplate() {
        return chatTemplate;
    }

    /** True for ids that end a generated turn: EOS, "&lt;|eot_id|&gt;" and "&lt;|eom_id|&gt;" when present. */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && (id == eos || id == eot || id == eom);
    }

    int mergeCount() {
        return merges.size();
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + tokens.length);
        }
    }

    /** Minimal growable int array, to avoid boxing on the encode path. */
    static final class IntList {
        private int[] a;
        private int size;

        IntList(int capacity) {
            a = new int[Math.max(1, capacity)];
        }

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
            }
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
