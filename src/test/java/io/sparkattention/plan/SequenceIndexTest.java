package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceIndexTest {
  @Test
  void indexesIdsInTheOrderGivenAndBack() {
    SequenceIndex index = SequenceIndex.of(List.of("b", "a", "c"));
    assertEquals(3, index.size());
    assertEquals(0, index.indexOf("b"));
    assertEquals(1, index.require("a"));
    assertEquals(2, index.indexOf("c"));
    assertEquals("a", index.id(1));
    assertEquals(List.of("b", "a", "c"), index.ids());
  }

  @Test
  void longIdsMatchByValue() {
    SequenceIndex index = SequenceIndex.of(List.of(7L, 3L));
    assertEquals(1, index.indexOf(Long.valueOf(3)));
    assertEquals(-1, index.indexOf(3)); // an Integer is not the Long id
  }

  @Test
  void unknownIdsAreMinusOneOrRefused() {
    SequenceIndex index = SequenceIndex.of(List.of("x"));
    assertEquals(-1, index.indexOf("y"));
    assertEquals(-1, index.indexOf(null));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> index.require("y"));
    assertTrue(e.getMessage().contains("y"), e.getMessage());
  }

  @Test
  void nullAndRepeatedIdsAreRefused() {
    IllegalArgumentException nul =
        assertThrows(
            IllegalArgumentException.class, () -> SequenceIndex.of(Arrays.asList("a", null)));
    assertTrue(nul.getMessage().contains("sequence 1 has a null id"), nul.getMessage());
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class, () -> SequenceIndex.of(List.of("a", "b", "a")));
    assertTrue(twice.getMessage().contains("0 and 2"), twice.getMessage());
  }

  @Test
  void isACopyAndSurvivesSerialization() throws Exception {
    List<Object> ids = new ArrayList<>(List.of("a", "b"));
    SequenceIndex index = SequenceIndex.of(ids);
    ids.add("c");
    assertEquals(2, index.size());
    assertThrows(UnsupportedOperationException.class, () -> index.ids().add("d"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(index);
    }
    SequenceIndex back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (SequenceIndex) in.readObject();
    }
    assertEquals(1, back.indexOf("b"));
    assertEquals(index.ids(), back.ids());
  }

  @Test
  void emptyIndexHasNoSequences() {
    SequenceIndex index = SequenceIndex.of(List.of());
    assertEquals(0, index.size());
    assertEquals(-1, index.indexOf("a"));
  }
}
