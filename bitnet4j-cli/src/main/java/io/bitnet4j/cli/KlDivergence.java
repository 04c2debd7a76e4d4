package io.bitnet4j.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * KL divergence of one way of running a model against a saved base run, in the file format and with the
 * statistics of llama-perplexity's {@code --kl-divergence-base} / {@code --kl-divergence}, so that base files
 * are interchangeable with llama.cpp's and bitnet.cpp's tools.
 *
 * <p>The base file: the 8 bytes "_logits_", then little-endian int32 n_ctx, n_vocab, n_chunk, the n_chunk ×
 * n_ctx token ids, then for each scored row (llama-perplexity's protocol: n_ctx - 1 - n_ctx/2 rows per chunk)
 * the row's log-probabilities quantized to 16 bits: two floats (scale, the lowest log-probability kept) as
 * four uint16 slots, then one uint16 per token, padded to an even count. Log-probabilities more than 16 below
 * the top are stored as the lowest level.
 */
final class KlDivergence {
    private KlDivergence() {}

    static final byte[] MAGIC = "_logits_".getBytes(StandardCharsets.US_ASCII);
    /** Below this log-probability (relative to the top) a base token is taken as impossible: not stored, not summed. */
    static final float FLOOR = -16f;

    /** uint16 slots per stored row: 4 for the two floats, the vocabulary rounded up to an even count. */
    static int slotsPerRow(int nVocab) {
        return 2 * ((nVocab + 1) / 2) + 4;
    }

    /** The header of a base file: what was scored. */
    record Header(int nCtx, int nVocab, int nChunk, int[] tokens) {}

    /** Writes a base file row by row while perplexity runs. */
    static final class BaseWriter implements Closeable {
        private final FileChannel out;
        private final ByteBuffer row;
        private final int nVocab;

        BaseWriter(Path file, Header h) throws IOException {
            this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            this.nVocab = h.nVocab();
            this.row = ByteBuffer.allocate(2 * slotsPerRow(nVocab)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 12 + 4 * h.tokens().length).order(ByteOrder.LITTLE_ENDIAN);
            head.put(MAGIC).putInt(h.nCtx()).putInt(h.nVocab()).putInt(h.nChunk());
            for (int t : h.tokens()) head.putInt(t);
            writeFully(head.flip());
        }

        /** Quantizes one row of logits to 16-bit log-probabilities, as llama-perplexity stores them. */
        void write(float[] logits) throws IOException {
            float max = logits[0], min = logits[0];
            for (int i = 1; i < nVocab; i++) {
                max = Math.max(max, logits[i]);
                min = Math.min(min, logits[i]);
            }
            min = Math.max(min, max + FLOOR);
            float logSumExp = logSumExp(logits, nVocab, max);
            float minLogProb = min - max - logSumExp;
            float scale = (max - min) / 65535f;
            row.clear();
            row.putFloat(scale).putFloat(minLogProb);
            float inverse = scale != 0 ? 1 / scale : 0;
            for (int i = 0; i < nVocab; i++)
                row.putShort((short) (scale != 0 && logits[i] > min ? (int) Math.rint(inverse * (logits[i] - min)) : 0));
            while (row.hasRemaining()) row.putShort((short) 0);
            writeFully(row.flip());
        }

        private void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) out.write(b);
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Reads a base file: the header first, then one stored row at a time, in the order they were written. */
    static final class BaseReader implements Closeable {
        private final FileChannel in;
        private final Path file;
        final Header header;
        private final ByteBuffer row;

        BaseReader(Path file) throws IOException {
            this.file = file;
            this.in = FileChannel.open(file, StandardOpenOption.READ);
            try {
                ByteBuffer head = read(MAGIC.length + 12, "the header");
                byte[] magic = new byte[MAGIC.length];
                head.get(magic);
                if (!Arrays.equals(magic, MAGIC))
                    throw new CliException(file + " is not a KL-divergence base file (it does not start with \"_logits_\")");
                int nCtx = head.getInt(), nVocab = head.getInt(), nChunk = head.getInt();
                if (nCtx < 4 || nVocab < 1 || nChunk < 1 || (long) nCtx * nChunk > Integer.MAX_VALUE / 4)
                    throw new CliException(file + ": implausible header (n_ctx " + nCtx + ", n_vocab " + nVocab + ", n_chunk " + nChunk + ")");
                ByteBuffer ids = read(4 * nCtx * nChunk, "the token ids");
                int[] tokens = new int[nCtx * nChunk];
                for (int i = 0; i < tokens.length; i++) tokens[i] = ids.getInt();
                this.header = new Header(nCtx, nVocab, nChunk, tokens);
                this.row = ByteBuffer.allocate(2 * slotsPerRow(nVocab)).order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException | RuntimeException e) {
                in.close();
                throw e;
            }
        }

        /** The next stored row (a reused buffer, positioned at its start). */
        ByteBuffer next() throws IOException {
            row.clear();
            while (row.hasRemaining()) if (in.read(row) < 0) throw new CliException(file + " ends early: fewer rows than its header promises");
            return row.flip();
        }

        private ByteBuffer read(int bytes, String what) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) if (in.read(b) < 0) throw new CliException(file + " ends inside " + what);
            return b.flip();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** log Σ exp(logits - max), the sum in double and the result in float, as llama-perplexity computes it. */
    static float logSumExp(float[] logits, int n, float max) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (float) Math.exp(logits[i] - max);
        return (float) Math.log(sum);
    }

    /** Running sums over the scored rows; per-row KL and Δp kept for the percentiles. */
    static final class Stats {
        double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumPDiff, sumPDiff2, sumPDiff4;
        float maxPDiff;
        long sameTop, count;
        private float[] klds = new float[1024], pDiffs = new float[1024];

        /** Compares one row of logits with its stored base row; target is the token that follows. */
        void add(float[] logits, int nVocab, ByteBuffer base, int target) {
            float max = logits[0];
            int top = 0;
            for (int i = 1; i < nVocab; i++)
                if (logits[i] > max) {
                    max = logits[i];
                    top = i;
                }
            float logSumExp = logSumExp(logits, nVocab, max);
            float scale = base.getFloat(0), minLogProb = base.getFloat(4);
            float nll = max + logSumExp - logits[target];
            float nllBase = -(scale * level(base, target) + minLogProb);
            sumNll += nll;
            sumNll2 += (double) nll * nll;
            sumNllBase += nllBase;
            sumNllBase2 += (double) nllBase * nllBase;
            sumNllNllBase += (double) nll * nllBase;

            float logNormalizer = max + logSumExp;
            double kld = 0;
            int baseTop = 0;
            float baseTopLogProb = 0;
            for (int i = 0; i < nVocab; i++) {
                float logProbBase = scale * level(base, i) + minLogProb;
                if (i == 0 || logProbBase > baseTopLogProb) {
                    baseTopLogProb = logProbBase;
                    baseTop = i;
                }
                if (logProbBase > FLOOR) kld += (float) Math.exp(logProbBase) * (logProbBase - logits[i] + logNormalizer);
            }
            sumKld += kld;
            sumKld2 += kld * kld;
            if (top == baseTop) sameTop++;

            float pDiff = (float) Math.exp(-nll) - (float) Math.exp(-nllBase);
            sumPDiff += pDiff;
            double pDiff2 = (double) pDiff * pDiff;
            sumPDiff2 += pDiff2;
            sumPDiff4 += pDiff2 * pDiff2;
            maxPDiff = Math.max(maxPDiff, Math.abs(pDiff));
            if (count == klds.length) {
                klds = Arrays.copyOf(klds, klds.length * 2);
                pDiffs = Arrays.copyOf(pDiffs, pDiffs.length * 2);
            }
            klds[(int) count] = (float) kld;
            pDiffs[(int) count] = pDiff;
            count++;
        }

        /** The stored 16-bit level of token i (after the two floats). */
        private static int level(ByteBuffer base, int i) {
            return base.getShort(8 + 2 * i) & 0xFFFF;
        }

        /** Mean and its standard error (0 for ten values or fewer), as llama-perplexity reports them. */
        record Mean(double value, double error) {}

        Mean mean(double sum, double sum2) {
            if (count < 1) return new Mean(0, 0);
            double f = sum / count, variance = sum2 / count - f * f;
            return new Mean(f, variance > 0 && count > 10 ? Math.sqrt(variance / (count - 1)) : 0);
        }

        double covariance(double sumA, double sumB, double sumAB) {
            if (count < 10) return 0;
            return (sumAB / count - (sumA / count) * (sumB / count)) / (count - 1);
        }

        Mean logPpl() {
            return mean(sumNll, sumNll2);
        }

        Mean logPplBase() {
            return mean(sumNllBase, sumNllBase2);
        }

        /** ln(PPL(Q)/PPL(base)) and its uncertainty (the two are correlated: same text, same positions). */
        Mean logPplRatio() {
            Mean q = logPpl(), b = logPplBase();
            double cov = covariance(sumNll, sumNllBase, sumNllNllBase);
            return new Mean(q.value() - b.value(), Math.sqrt(q.error() * q.error() + b.error() * b.error() - 2 * cov));
        }

        Mean kld() {
            return mean(sumKld, sumKld2);
        }

        /** Root mean square of Δp, with its uncertainty. */
        Mean pDiffRms() {
            Mean mse = mean(sumPDiff2, sumPDiff4);
            double rms = Math.sqrt(mse.value());
            return new Mean(rms, rms > 0 ? 0.5 / rms * mse.error() : 0);
        }

        /** Share of rows whose most likely token is the base's, with its binomial uncertainty. */
        Mean sameTopShare() {
            double p = (double) sameTop / count;
            return new Mean(p, count > 1 ? Math.sqrt(p * (1 - p) / (count - 1)) : 0);
        }

        static final String CHUNK_HEADER = "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p";

        /** The running figures after a chunk, in llama-perplexity's columns. */
        String chunkLine(int chunk) {
            Mean ppl = logPpl(), ratio = logPplRatio(), kl = kld(), rms = pDiffRms(), top = sameTopShare();
            double pplValue = Math.exp(ppl.value());
            return String.format(Locale.ROOT, "%4d    %9.4f ± %9.4f    %10.5f ± %10.5f    %10.5f ± %10.5f    %6.3f ± %6.3f %%    %6.3f ± %6.3f %%",
                    chunk, pplValue, pplValue * ppl.error(), ratio.value(), ratio.error(), kl.value(), kl.error(),
                    100 * rms.value(), 100 * rms.error(), 100 * top.value(), 100 * top.error());
        }

        /** llama-perplexity's closing statistics (printed from 100 scored tokens on, as it does). */
        void printSummary(PrintStream out) {
            if (count < 100) {
                out.println("(fewer than 100 scored tokens: no summary statistics)");
                return;
            }
            Mean q = logPpl(), b = logPplBase(), ratio = logPplRatio();
            double ppl = Math.exp(q.value()), pplError = ppl * q.error();
            double pplBase = Math.exp(b.value()), pplBaseError = pplBase * b.error();
            double cov = covariance(sumNll, sumNllBase, sumNllNllBase);
            out.println("====== Perplexity statistics ======");
            out.printf(Locale.ROOT, "Mean PPL(Q)                   : %10.6f ± %10.6f%n", ppl, pplError);
            out.printf(Locale.ROOT, "Mean PPL(base)                : %10.6f ± %10.6f%n", pplBase, pplBaseError);
            out.printf(Locale.ROOT, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%%n", 100 * cov / (q.error() * b.error()));
            out.printf(Locale.ROOT, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f%n", ratio.value(), ratio.error());
            double pplRatio = Math.exp(ratio.value());
            out.printf(Locale.ROOT, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f%n", pplRatio, pplRatio * ratio.error());
            double pplCov = ppl * pplBase * cov;
            out.printf(Locale.ROOT, "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f%n", ppl - pplBase,
                    Math.sqrt(Math.max(0, pplError * pplError + pplBaseError * pplBaseError - 2 * pplCov)));
            out.println();
            float[] kl = Arrays.copyOf(klds, (int) count), dp = Arrays.copyOf(pDiffs, (int) count);
            Arrays.sort(kl);
            Arrays.sort(dp);
            out.println("====== KL divergence statistics ======");
            Mean k = kld();
            out.printf(Locale.ROOT, "Mean    KLD: %10.6f ± %10.6f%n", k.value(), k.error());
            out.printf(Locale.ROOT, "Maximum KLD: %10.6f%n", kl[kl.length - 1]);
            for (double f : new double[] {0.999, 0.99, 0.95, 0.90})
                out.printf(Locale.ROOT, "%4.1f%%   KLD: %10.6f%n", 100 * f, percentile(kl, f));
            out.printf(Locale.ROOT, "Median  KLD: %10.6f%n", median(kl));
            for (double f : new double[] {0.10, 0.05, 0.01, 0.001})
                out.printf(Locale.ROOT, "%4.1f%%   KLD: %10.6f%n", 100 * f, percentile(kl, f));
            out.printf(Locale.ROOT, "Minimum KLD: %10.6f%n", kl[0]);
            out.println();
            out.println("====== Token probability statistics ======");
            Mean d = mean(sumPDiff, sumPDiff2);
            out.printf(Locale.ROOT, "Mean    Δp: %6.3f ± %5.3f %%%n", 100 * d.value(), 100 * d.error());
            out.printf(Locale.ROOT, "Maximum Δp: %6.3f%%%n", 100 * dp[dp.length - 1]);
            for (double f : new double[] {0.999, 0.99, 0.95, 0.90, 0.75})
                out.printf(Locale.ROOT, "%4.1f%%   Δp: %6.3f%%%n", 100 * f, 100 * percentile(dp, f));
            out.printf(Locale.ROOT, "Median  Δp: %6.3f%%%n", 100 * median(dp));
            for (double f : new double[] {0.25, 0.10, 0.05, 0.01, 0.001})
                out.printf(Locale.ROOT, "%4.1f%%   Δp: %6.3f%%%n", 100 * f, 100 * percentile(dp, f));
            out.printf(Locale.ROOT, "Minimum Δp: %6.3f%%%n", 100 * dp[0]);
            Mean rms = pDiffRms(), top = sameTopShare();
            out.printf(Locale.ROOT, "RMS Δp    : %6.3f ± %5.3f %%%n", 100 * rms.value(), 100 * rms.error());
            out.printf(Locale.ROOT, "Same top p: %6.3f ± %5.3f %%%n", 100 * top.value(), 100 * top.error());
        }

        /** Linear interpolation between the two nearest sorted values. */
        static double percentile(float[] sorted, double fraction) {
            double p = fraction * (sorted.length - 1);
            int i = (int) p;
            double w = p - i;
            return (1 - w) * sorted[i] + w * sorted[Math.min(i + 1, sorted.length - 1)];
        }

        static double median(float[] sorted) {
            int n = sorted.length;
            return n % 2 == 0 ? 0.5 * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2];
        }
    }
}
