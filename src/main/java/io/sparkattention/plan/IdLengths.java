package io.sparkattention.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Sequence ids in ascending order, each with its length: what validation finds per sequence, in a
 * few bytes a sequence ({@link SortedIds} and one {@code long[]}). Parts found by different tasks
 * (disjoint ids, each part sorted) {@linkplain #merge merge} in O(S log parts) without a map.
 */
public final class IdLengths implements Serializable {
  private static final long serialVersionUID = 1L;

  private final SortedIds ids;
  private final long[] lengths;

  private IdLengths(SortedIds ids, long[] lengths) {
    this.ids = ids;
    this.lengths = lengths;
  }

  /** About how many bytes the ids and lengths take in memory. */
  public long bytes() {
    return ids.bytes() + 8L * lengths.length;
  }

  /** The ids, ascending. */
  public SortedIds ids() {
    return ids;
  }

  /** The length of each id, in the order of {@link #ids} (shared, not copied). */
  public long[] lengths() {
    return lengths;
  }

  /**
   * The first {@code n} ids (all Longs or all Strings, distinct) with their lengths, sorted by id.
   *
   * @throws IllegalArgumentException if an id is given twice or the ids mix types
   */
  public static IdLengths sort(Object[] ids, long[] lengths, int n) {
    Comparator<Object> order = order(n == 0 ? null : ids[0]);
    int[] byId = sortedOrder(n, (a, b) -> order.compare(ids[a], ids[b]));
    Object[] sortedIds = new Object[n];
    long[] sortedLengths = new long[n];
    for (int i = 0; i < n; i++) {
      sortedIds[i] = ids[byId[i]];
      sortedLengths[i] = lengths[byId[i]];
    }
    return new IdLengths(sortedIdsOf(sortedIds, n), sortedLengths);
  }

  /**
   * One ascending list of the parts' ids (each part ascending, no id in two parts).
   *
   * @throws IllegalArgumentException if an id is in two parts
   */
  public static IdLengths merge(List<IdLengths> parts) {
    int total = 0;
    List<SortedIds> lists = new ArrayList<>();
    for (IdLengths p : parts) {
      total += p.ids.size();
      lists.add(p.ids);
    }
    // Cursors {part, index}, the one with the smallest current id first.
    PriorityQueue<int[]> heads =
        new PriorityQueue<>(
            Math.max(1, parts.size()),
            (a, b) -> parts.get(a[0]).ids.compare(a[1], parts.get(b[0]).ids, b[1]));
    for (int p = 0; p < parts.size(); p++) {
      if (parts.get(p).ids.size() > 0) {
        heads.add(new int[] {p, 0});
      }
    }
    SortedIds.Appender ids = new SortedIds.Appender(lists);
    long[] lengths = new long[total];
    for (int i = 0; i < total; i++) {
      int[] head = heads.poll();
      IdLengths part = parts.get(head[0]);
      ids.add(part.ids, head[1]);
      lengths[i] = part.lengths[head[1]];
      if (++head[1] < part.ids.size()) {
        heads.add(head);
      }
    }
    return new IdLengths(ids.build(), lengths);
  }

  private static SortedIds sortedIdsOf(Object[] ids, int n) {
    if (n == 0 || ids[0] instanceof Long) {
      long[] longs = new long[n];
      for (int i = 0; i < n; i++) {
        longs[i] = (Long) ids[i];
      }
      return SortedIds.ofLongs(longs);
    }
    String[] strings = new String[n];
    for (int i = 0; i < n; i++) {
      strings[i] = (String) ids[i];
    }
    return SortedIds.ofStrings(strings);
  }

  /** Ids' order: numeric for Longs, {@link String#compareTo} for Strings; mixed types refused. */
  private static Comparator<Object> order(Object example) {
    Class<?> type = example == null ? Long.class : example.getClass();
    if (type != Long.class && type != String.class) {
      throw new IllegalArgumentException("ids must be Longs or Strings, got a " + type.getName());
    }
    return (a, b) -> {
      if (a.getClass() != type || b.getClass() != type) {
        throw new IllegalArgumentException("ids mix types: " + a + " and " + b);
      }
      @SuppressWarnings("unchecked")
      Comparable<Object> ca = (Comparable<Object>) a;
      return ca.compareTo(b);
    };
  }

  /** Compares two indices. */
  private interface IndexOrder {
    int compare(int a, int b);
  }

  /** The indices 0 … n−1 in the given order: a stable merge sort on primitive ints. */
  private static int[] sortedOrder(int n, IndexOrder order) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] b = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
          b[k] = j >= hi || (i < mid && order.compare(a[i], a[j]) <= 0) ? a[i++] : a[j++];
        }
      }
      int[] t = a;
      a = b;
      b = t;
    }
    return a;
  }
}
