package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link IdLengths} and {@link SortedIds} against a {@link TreeMap} (the reference order of ids)
 * and a plain linear search.
 */
class IdLengthsTest {
  /**
   * Characters whose UTF-16 order differs from their code points' (a surrogate pair sorts below
   * U+E000 in {@link String#compareTo}), an accent, and the empty string's prefixes.
   */
  private static final String[] PIECES = {"", "a", "b", "é", "\uE000", "\uD83D\uDE00", "z9"};

  /** Random distinct ids (Longs including negatives, or Strings) with random lengths. */
  private static TreeMap<Object, Long> randomIds(Random rnd, int n, boolean strings) {
    TreeMap<Object, Long> ids = new TreeMap<>();
    while (ids.size() < n) {
      long v = rnd.nextInt(4 * n + 1) - 2L * n;
      Object id =
          strings
              ? PIECES[rnd.nextInt(PIECES.length)] + Long.toString(v, 36).substring(rnd.nextInt(2))
              : (Object) v;
      ids.put(id, 1L + rnd.nextInt(1000));
    }
    return ids;
  }

  private static void assertMatches(TreeMap<Object, Long> expected, IdLengths actual) {
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.ids()));
    long[] lengths = expected.values().stream().mapToLong(Long::longValue).toArray();
    assertArrayEquals(lengths, actual.lengths());
  }

  @Test
  void sortOrdersIdsWithTheirLengthsAsATreeMapDoes() {
    Random rnd = new Random(13);
    for (boolean strings : new boolean[] {false, true}) {
      for (int n : new int[] {0, 1, 2, 7, 100, 1001}) {
        TreeMap<Object, Long> ref = randomIds(rnd, n, strings);
        List<Map.Entry<Object, Long>> shuffled = new ArrayList<>(ref.entrySet());
        java.util.Collections.shuffle(shuffled, rnd);
        Object[] ids = new Object[n + 3]; // longer than n: only the first n count
        long[] lengths = new long[n + 3];
        for (int i = 0; i < n; i++) {
          ids[i] = shuffled.get(i).getKey();
          lengths[i] = shuffled.get(i).getValue();
        }
        assertMatches(ref, IdLengths.sort(ids, lengths, n));
      }
    }
  }

  @Test
  void mergeOfDisjointSortedPartsIsTheSortedWhole() {
    Random rnd = new Random(17);
    for (boolean strings : new boolean[] {false, true}) {
      for (int parts : new int[] {1, 2, 5, 9}) {
        TreeMap<Object, Long> ref = randomIds(rnd, 500, strings);
        List<List<Map.Entry<Object, Long>>> split = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
          split.add(new ArrayList<>());
        }
        for (Map.Entry<Object, Long> e : ref.entrySet()) {
          split.get(rnd.nextInt(parts)).add(e); // some parts may stay empty
        }
        List<IdLengths> sorted = new ArrayList<>();
        for (List<Map.Entry<Object, Long>> part : split) {
          Object[] ids = part.stream().map(Map.Entry::getKey).toArray();
          long[] lengths = part.stream().mapToLong(Map.Entry::getValue).toArray();
          sorted.add(IdLengths.sort(ids, lengths, ids.length));
        }
        assertMatches(ref, IdLengths.merge(sorted));
      }
    }
  }

  @Test
  void indexOfIsThePositionOfTheIdOrMinusOne() {
    Random rnd = new Random(19);
    for (boolean strings : new boolean[] {false, true}) {
      TreeMap<Object, Long> ref = randomIds(rnd, 300, strings);
      List<Object> plain = new ArrayList<>(ref.keySet());
      Object[] ids = plain.toArray();
      SortedIds sorted = IdLengths.sort(ids, new long[ids.length], ids.length).ids();
      SequenceIndex index = SequenceIndex.of(sorted);
      for (int probe = 0; probe < 2000; probe++) {
        long v = rnd.nextInt(1300) - 650L;
        Object id =
            strings
                ? PIECES[rnd.nextInt(PIECES.length)]
                    + Long.toString(v, 36).substring(rnd.nextInt(2))
                : (Object) v;
        int expected = plain.indexOf(id); // linear search: the reference
        assertEquals(expected, sorted.indexOf(id), "id " + id);
        assertEquals(expected, index.indexOf(id), "id " + id);
      }
      assertEquals(-1, sorted.indexOf(strings ? (Object) 3L : "3")); // the other type
      assertEquals(-1, sorted.indexOf(null));
    }
  }

  @Test
  void idsOutOfOrderTwiceOrMixedAreRefused() {
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class,
            () -> IdLengths.sort(new Object[] {4L, 2L, 4L}, new long[3], 3));
    assertTrue(twice.getMessage().contains("strictly ascending"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SortedIds.ofLongs(new long[] {1, 3, 2}));
    assertThrows(
        IllegalArgumentException.class, () -> SortedIds.ofStrings(new String[] {"b", "a"}));
    assertThrows(
        IllegalArgumentException.class,
        () -> IdLengths.sort(new Object[] {"a", 1L}, new long[2], 2));
    assertThrows(
        IllegalArgumentException.class,
        () -> IdLengths.sort(new Object[] {1}, new long[1], 1)); // an Integer, not a Long
  }

  @Test
  void longIdsTakeEightBytesEachWhenSerialised() throws Exception {
    int n = 100_000;
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 3L * i - 7;
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(SequenceIndex.of(SortedIds.ofLongs(ids)));
    }
    assertTrue(bytes.size() < 8 * n + 1000, bytes.size() + " bytes for " + n + " ids");
  }
}
