package io.sparkattention.plan;

import java.io.Serializable;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A table's sequence ids in ascending order (integers numerically, strings by {@link
 * String#compareTo}), stored compactly and read as a list: integer ids in one {@code long[]} (8
 * bytes a sequence, no boxed object each), string ids in one array. {@link #indexOf} is a binary
 * search, so a corpus of millions of sequences needs no hash map of its ids, on the driver or in a
 * broadcast.
 */
public final class SortedIds extends AbstractList<Object> implements RandomAccess, Serializable {
  private static final long serialVersionUID = 1L;

  /** The ids when they are integers, else null. */
  private final long[] longs;

  /** The ids when they are strings, else null. */
  private final String[] strings;

  private SortedIds(long[] longs, String[] strings) {
    this.longs = longs;
    this.strings = strings;
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
    return new SortedIds(ascending, null);
  }

  /**
   * String ids (taken, not copied).
   *
   * @throws IllegalArgumentException if one is null or they are not strictly ascending
   */
  public static SortedIds ofStrings(String[] ascending) {
    for (int i = 0; i < ascending.length; i++) {
      if (ascending[i] == null) {
        throw new IllegalArgumentException("sequence " + i + " has a null id");
      }
      if (i > 0 && ascending[i - 1].compareTo(ascending[i]) >= 0) {
        throw notAscending(i, ascending[i - 1], ascending[i]);
      }
    }
    return new SortedIds(null, ascending);
  }

  private static IllegalArgumentException notAscending(int i, Object before, Object at) {
    return new IllegalArgumentException(
        "ids must be strictly ascending: id " + at + " at " + i + " follows " + before);
  }

  @Override
  public Object get(int i) {
    return longs != null ? (Object) longs[i] : strings[i];
  }

  @Override
  public int size() {
    return longs != null ? longs.length : strings.length;
  }

  /** The position of {@code id} (a Long or String, as the ids), or -1: a binary search. */
  @Override
  public int indexOf(Object id) {
    int at = -1;
    if (longs != null && id instanceof Long) {
      at = Arrays.binarySearch(longs, (Long) id);
    } else if (strings != null && id instanceof String) {
      at = Arrays.binarySearch(strings, (String) id);
    }
    return Math.max(at, -1);
  }

  /** Compares this list's id at {@code i} with {@code other}'s at {@code j} (same id type). */
  int compare(int i, SortedIds other, int j) {
    return longs != null
        ? Long.compare(longs[i], other.longs[j])
        : strings[i].compareTo(other.strings[j]);
  }

  /** Whether the ids are integers (else strings). */
  boolean holdsLongs() {
    return longs != null;
  }

  /** Writes this list's id at {@code i} to {@code to} at {@code at} ({@link #newArray}'s array). */
  void copy(int i, Object to, int at) {
    if (longs != null) {
      ((long[]) to)[at] = longs[i];
    } else {
      ((String[]) to)[at] = strings[i];
    }
  }

  /** An array for {@code n} ids of this list's type: a {@code long[]} or a {@code String[]}. */
  Object newArray(int n) {
    return longs != null ? new long[n] : new String[n];
  }

  /** The ids of {@link #newArray}'s array {@code ids}, which must be strictly ascending. */
  static SortedIds of(Object ids) {
    return ids instanceof long[] longs ? ofLongs(longs) : ofStrings((String[]) ids);
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
