package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The global tokens of a {@link Mask} (Longformer, BigBird): a set of positions held as runs of
 * consecutive positions, so that the first n positions ({@code --global-tokens n}) are one run and
 * a global-token column's true rows ({@code --global-col}) as many runs as they have gaps. Every
 * question is a binary search over the runs. Immutable and serializable.
 */
public final class GlobalTokens implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Run r is {@code [runs[2r], runs[2r+1]]}, inclusive; runs increase and are apart. */
  private final long[] runs;

  private GlobalTokens(long[] runs) {
    this.runs = runs;
  }

  /** Positions {@code 0 … n−1}, or null for {@code n = 0}. */
  static GlobalTokens firstN(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("global tokens must be >= 0, got " + n);
    }
    return n == 0 ? null : new GlobalTokens(new long[] {0, n - 1});
  }

  /**
   * The set of {@code positions}, or null if there are none.
   *
   * @throws IllegalArgumentException if a position is negative or they do not increase
   */
  static GlobalTokens of(long[] positions) {
    long[] runs = new long[2 * positions.length];
    int r = 0;
    for (int i = 0; i < positions.length; i++) {
      long p = positions[i];
      if (p < 0 || (i > 0 && p <= positions[i - 1])) {
        throw new IllegalArgumentException(
            "global positions must be >= 0 and increase, got "
                + (i == 0 ? "" : positions[i - 1] + " then ")
                + p);
      }
      if (r > 0 && runs[r - 1] == p - 1) {
        runs[r - 1] = p; // extends the run
      } else {
        runs[r++] = p;
        runs[r++] = p;
      }
    }
    return r == 0 ? null : new GlobalTokens(Arrays.copyOf(runs, r));
  }

  /** The number of global positions. */
  public long count() {
    long n = 0;
    for (int r = 0; r < runs.length; r += 2) {
      n += runs[r + 1] - runs[r] + 1;
    }
    return n;
  }

  /** The number of runs of consecutive global positions. */
  public int runCount() {
    return runs.length / 2;
  }

  /** The first position of run {@code r}. */
  public long runStart(int r) {
    return runs[2 * r];
  }

  /** The last position (inclusive) of run {@code r}. */
  public long runEnd(int r) {
    return runs[2 * r + 1];
  }

  /** The last global position. */
  public long last() {
    return runs[runs.length - 1];
  }

  /** The first run whose last position is {@code >= pos} ({@link #runCount} if none). */
  public int runFrom(long pos) {
    int lo = 0;
    int hi = runCount();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (runs[2 * mid + 1] >= pos) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** The first global position {@code >= pos}, or −1 if none. */
  public long next(long pos) {
    int r = runFrom(pos);
    return r == runCount() ? -1 : Math.max(pos, runs[2 * r]);
  }

  /** The last global position {@code <= pos}, or −1 if none. */
  public long previous(long pos) {
    int r = runFrom(pos);
    if (r < runCount() && runs[2 * r] <= pos) {
      return pos;
    }
    return r == 0 ? -1 : runs[2 * r - 1];
  }

  /** Whether {@code pos} is a global position. */
  public boolean contains(long pos) {
    return pos >= 0 && previous(pos) == pos;
  }

  /** The number of global positions in {@code [from, to)}. */
  public long countIn(long from, long to) {
    long n = 0;
    for (int r = runFrom(from); r < runCount() && runs[2 * r] < to; r++) {
      n += Math.min(to - 1, runs[2 * r + 1]) - Math.max(from, runs[2 * r]) + 1;
    }
    return n;
  }

  /** The first position of the run holding {@code pos}, or {@code pos} if it is not global. */
  public long runFirst(long pos) {
    int r = runFrom(pos);
    return r < runCount() && runs[2 * r] <= pos ? runs[2 * r] : pos;
  }

  /** The last position of the run holding {@code pos}, or {@code pos} if it is not global. */
  public long runLast(long pos) {
    int r = runFrom(pos);
    return r < runCount() && runs[2 * r] <= pos ? runs[2 * r + 1] : pos;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GlobalTokens && Arrays.equals(((GlobalTokens) o).runs, runs);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(runs);
  }

  @Override
  public String toString() {
    return runs.length == 2 && runs[0] == 0
        ? (runs[1] + 1) + " global"
        : count() + " global in " + runCount() + " runs";
  }
}
