package io.sparkattention.kernel.impl;

import org.ejml.data.DMatrixRMaj;

/**
 * The buffers of one call of a block kernel, grown on demand and reused across calls: where the
 * block sits and each query row's allowed key interval, which the caller sets before the call
 * ({@link #place}, {@link #allow}), and the kernels' scratch matrices (the scores, and for the
 * chunked soft kernel one chunk of query rows and its running weighted values). Not thread-safe:
 * one per task or thread.
 */
public final class BlockScratch {
  long qPos0;
  long kPos0;
  long[] lo = new long[0];
  long[] hi = new long[0];
  long[] lo2 = new long[0];
  long[] hi2 = new long[0];

  /** One row's allowed runs of block indices ({@link Blocks#runs}). */
  final int[] runs = new int[4];

  final DMatrixRMaj queries = new DMatrixRMaj(1, 1);
  final DMatrixRMaj acc = new DMatrixRMaj(1, 1);
  final DMatrixRMaj scores = new DMatrixRMaj(1, 1);

  /**
   * Makes room for the intervals of {@code rows} query rows (their contents are then undefined).
   */
  public void ensureRows(int rows) {
    if (lo.length < rows) {
      lo = new long[rows];
      hi = new long[rows];
      lo2 = new long[rows];
      hi2 = new long[rows];
    }
  }

  /**
   * The next call's block starts at absolute query position {@code qPos0} and key position {@code
   * kPos0} (scores with a position bias, the sampling noise and the intervals use them).
   */
  public void place(long qPos0, long kPos0) {
    this.qPos0 = qPos0;
    this.kPos0 = kPos0;
  }

  /**
   * Query row {@code i} of the next call may see the keys at absolute positions {@code first …
   * last}, inclusive; none if {@code first > last}.
   */
  public void allow(int i, long first, long last) {
    allow(i, first, last, 0, -1);
  }

  /**
   * Query row {@code i} of the next call may see the keys at absolute positions {@code first …
   * last} and {@code first2 … last2} (global tokens), inclusive; an interval with its first above
   * its last is empty.
   */
  public void allow(int i, long first, long last, long first2, long last2) {
    lo[i] = first;
    hi[i] = last;
    lo2[i] = first2;
    hi2[i] = last2;
  }
}
