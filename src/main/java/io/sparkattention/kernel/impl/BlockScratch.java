package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.GlobalTokens;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import java.util.Objects;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;

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

  /** The keys' positions when they are not {@code kPos0, kPos0 + 1, …} (gathered); else null. */
  long[] keyPos;

  long[] lo = new long[0];
  long[] hi = new long[0];
  long[] lo2 = new long[0];
  long[] hi2 = new long[0];

  /** The global tokens of the rows' second intervals ({@link #globals}); null: none. */
  GlobalTokens globals;

  /** One row's allowed runs of block indices ({@link Blocks#runs}), grown on demand. */
  int[] runs = new int[4];

  final DMatrixRMaj queries = new DMatrixRMaj(1, 1);
  final DMatrixRMaj acc = new DMatrixRMaj(1, 1);
  final DMatrixRMaj scores = new DMatrixRMaj(1, 1);

  /** The precision of the soft kernel's two products ({@link Precision}). */
  final Precision precision;

  /** {@link Precision#FP32}: the block's Q, K, V rounded to float once per call, and scratch. */
  final FMatrixRMaj q32 = new FMatrixRMaj(1, 1);

  final FMatrixRMaj k32 = new FMatrixRMaj(1, 1);
  final FMatrixRMaj v32 = new FMatrixRMaj(1, 1);
  final FMatrixRMaj queries32 = new FMatrixRMaj(1, 1);
  final FMatrixRMaj scores32 = new FMatrixRMaj(1, 1);
  final FMatrixRMaj values32 = new FMatrixRMaj(1, 1);

  /** Scratch for blocks computed in double precision. */
  public BlockScratch() {
    this(Precision.FP64);
  }

  /** Scratch for blocks whose soft-attention products compute in {@code precision}. */
  public BlockScratch(Precision precision) {
    this.precision = Objects.requireNonNull(precision, "precision");
  }

  /** The precision of the soft kernel's products. */
  public Precision precision() {
    return precision;
  }

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
    this.keyPos = null;
  }

  /**
   * The next call's block starts at absolute query position {@code qPos0}; its keys are gathered,
   * key j at position {@code keyPos[j]} (increasing; global tokens gathered from a key group).
   */
  public void placeGathered(long qPos0, long[] keyPos) {
    this.qPos0 = qPos0;
    this.kPos0 = keyPos[0];
    this.keyPos = keyPos;
  }

  /**
   * The global tokens of the next call: row {@code i}'s second interval ({@link #allow(int, long,
   * long, long, long)}) holds only the keys of {@code mask}'s global tokens; null: every key in it.
   */
  public void globals(Mask mask) {
    this.globals = mask == null ? null : mask.globals();
  }

  /** Room for the runs of a row of {@code nk} keys: at most one more than half of them, twice. */
  int[] runs(int nk) {
    if (runs.length < nk + 4) {
      runs = new int[nk + 4];
    }
    return runs;
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
   * last} and the global tokens ({@link #globals}) among {@code first2 … last2}, inclusive; an
   * interval with its first above its last is empty.
   */
  public void allow(int i, long first, long last, long first2, long last2) {
    lo[i] = first;
    hi[i] = last;
    lo2[i] = first2;
    hi2[i] = last2;
  }
}
