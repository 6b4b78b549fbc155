package io.sparkattention.plan;

import java.io.Serializable;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A table's sequence ids in ascending order (integers numerically, strings by {@link
 * String#compareTo}), stored compactly and read as a list: integer ids in one {@code long[]} (8
 * bytes a sequence, no boxed object each), string ids as their characters end to end in one {@code
 * char[]} with one end offset each (no String object each). {@link #indexOf} is a binary search, so
 * a corpus of millions of sequences needs no hash map of its ids, on the driver or in a broadcast.
 */
public final class SortedIds extends AbstractList<Object> implements RandomAccess, Serializable {
  private static final long serialVersionUID = 1L;

  /** The ids when they are integers, else null. */
  private final long[] longs;

  /** The characters of string ids end to end, else null. */
  private final char[] chars;

  /** Where each string id's characters end in {@link #chars} (it starts where the last ended). */
  private final int[] ends;

  private SortedIds(long[] longs, char[] chars, int[] ends) {
    this.longs = longs;
    this.chars = chars;
    this.ends = ends;
  }

  /**
   * Integer ids (taken, not copied).
   *
   * @throws IllegalArgumentException if they are not strictly ascending
   */
  public static SortedIds ofLongs(long[] ascending) {
    for (int i = 1; i < ascending.length; i++) {
      if (ascending[i - 1] >= ascending[i]) {
        throw notAscending(i, ascending[i - 1], ascending[i]);
      }
    }
    return new SortedIds(ascending, null, null);
  }

  /**
   * String ids.
   *
   * @throws IllegalArgumentException if one is null, they are not strictly ascending, or they hold
   *     more characters than an array can
   */
  public static SortedIds ofStrings(String[] ascending) {
    long total = 0;
    for (int i = 0; i < ascending.length; i++) {
      if (ascending[i] == null) {
        throw new IllegalArgumentException("sequence " + i + " has a null id");
      }
      if (i > 0 && ascending[i - 1].compareTo(ascending[i]) >= 0) {
        throw notAscending(i, ascending[i - 1], ascending[i]);
      }
      total += ascending[i].length();
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "the sequence ids hold " + total + " characters, more than one array can");
    }
    char[] chars = new char[(int) total];
    int[] ends = new int[ascending.length];
    int end = 0;
    for (int i = 0; i < ascending.length; i++) {
      ascending[i].getChars(0, ascending[i].length(), chars, end);
      end += ascending[i].length();
      ends[i] = end;
    }
    return new SortedIds(null, chars, ends);
  }

  private static IllegalArgumentException notAscending(int i, Object before, Object at) {
    return new IllegalArgumentException(
        "ids must be strictly ascending: id " + at + " at " + i + " follows " + before);
  }

  private int start(int i) {
    return i == 0 ? 0 : ends[i - 1];
  }

  @Override
  public Object get(int i) {
    if (longs != null) {
      return longs[i];
    }
    Objects.checkIndex(i, ends.length);
    return new String(chars, start(i), ends[i] - start(i));
  }

  @Override
  public int size() {
    return longs != null ? longs.length : ends.length;
  }

  /** {@link String#compareTo} of string id {@code i} with {@code s}, without making a String. */
  private int compareString(int i, String s) {
    int from = start(i);
    int n = ends[i] - from;
    int common = Math.min(n, s.length());
    for (int k = 0; k < common; k++) {
      char c = chars[from + k];
      if (c != s.charAt(k)) {
        return c - s.charAt(k);
      }
    }
    return n - s.length();
  }

  /** The position of {@code id} (a Long or String, as the ids), or -1: a binary search. */
  @Override
  public int indexOf(Object id) {
    if (longs != null) {
      return id instanceof Long l ? Math.max(Arrays.binarySearch(longs, l), -1) : -1;
    }
    if (!(id instanceof String s)) {
      return -1;
    }
    int lo = 0;
    int hi = ends.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = compareString(mid, s);
      if (c == 0) {
        return mid;
      } else if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return -1;
  }

  /** About how many bytes the ids take in memory (their arrays). */
  public long bytes() {
    return longs != null ? 8L * longs.length : 2L * chars.length + 4L * ends.length;
  }

  /** Compares this list's id at {@code i} with {@code other}'s at {@code j} (same id type). */
  int compare(int i, SortedIds other, int j) {
    if (longs != null) {
      return Long.compare(longs[i], other.longs[j]);
    }
    int a = start(i);
    int b = other.start(j);
    int n = ends[i] - a;
    int m = other.ends[j] - b;
    for (int k = 0; k < Math.min(n, m); k++) {
      char c = chars[a + k];
      char d = other.chars[b + k];
      if (c != d) {
        return c - d;
      }
    }
    return n - m;
  }

  /**
   * Collects ids of one type, already in ascending order, from other lists, into a new list: for
   * merging sorted lists without a boxed or String object per id.
   */
  static final class Appender {
    private final long[] longs;
    private final char[] chars;
    private final int[] ends;
    private int n;
    private int end;

    /** Room for the ids of {@code lists} (all of one type), to be appended in ascending order. */
    Appender(List<SortedIds> lists) {
      int size = 0;
      long characters = 0;
      boolean integers = true;
      for (SortedIds l : lists) {
        size += l.size();
        if (l.longs == null) {
          integers = false;
          characters += l.chars.length;
        }
      }
      if (characters > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "the sequence ids hold " + characters + " characters, more than one array can");
      }
      // Sized exactly: the merged ids of a corpus are the driver's largest arrays.
      longs = integers ? new long[size] : null;
      chars = integers ? null : new char[(int) characters];
      ends = integers ? null : new int[size];
    }

    /** Appends {@code from}'s id at {@code i}. */
    void add(SortedIds from, int i) {
      if ((from.longs != null) != (longs != null)) {
        throw new IllegalArgumentException("the lists mix integer and string ids");
      }
      if (longs != null) {
        longs[n++] = from.longs[i];
        return;
      }
      int a = from.start(i);
      int len = from.ends[i] - a;
      System.arraycopy(from.chars, a, chars, end, len);
      end += len;
      ends[n++] = end;
    }

    /**
     * The ids appended.
     *
     * @throws IllegalArgumentException if they are not strictly ascending
     */
    SortedIds build() {
      if (longs != null) {
        return ofLongs(longs);
      }
      SortedIds ids = new SortedIds(null, chars, ends);
      for (int i = 1; i < n; i++) {
        if (ids.compare(i - 1, ids, i) >= 0) {
          throw notAscending(i, ids.get(i - 1), ids.get(i));
        }
      }
      return ids;
    }
  }

  @Override
  public int lastIndexOf(Object id) {
    return indexOf(id);
  }

  @Override
  public boolean contains(Object id) {
    return indexOf(id) >= 0;
  }
}
