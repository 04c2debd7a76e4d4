package io.bitnet4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Stop-string matching of the generator: what is cut, and what is held back until it is decided. */
class GeneratorTest {

    @Test
    void findsTheEarliestCompleteStopString() {
        var text = new StringBuilder("Amen. And the LORD said");
        assertEquals(-1, OutputText.findStop(text, List.of()));
        assertEquals(-1, OutputText.findStop(text, List.of("", "Moses")));
        assertEquals(4, OutputText.findStop(text, List.of("LORD", ".")));
        assertEquals(6, OutputText.findStop(text, List.of("And", "said")));
    }

    @Test
    void holdsBackTheLongestSuffixThatCouldStartAStopString() {
        assertEquals(0, OutputText.heldBack("In the beginning", List.of()));
        assertEquals(0, OutputText.heldBack("In the beginning", List.of("User:")));
        assertEquals(2, OutputText.heldBack("Amen. Us", List.of("User:")));
        assertEquals(4, OutputText.heldBack("Amen. User", List.of("User:", "Us")));
        assertEquals(1, OutputText.heldBack("x\n", List.of("\n\n")));
        // a complete stop string is not "held back": findStop cuts it
        assertEquals(0, OutputText.heldBack("ab", List.of("ab")));
        assertEquals(1, OutputText.heldBack("b", List.of("bcd")));
    }
}
