package io.sparkattention.kernel.impl;

import org.ejml.data.DMatrixRMaj;

/**
 * Scratch matrices of the online-softmax block kernel, grown on demand and reused across calls: one
 * chunk of query rows, its running weighted values, and its scores. Not thread-safe: one per task
 * or thread.
 */
public final class BlockScratch {
  final DMatrixRMaj queries = new DMatrixRMaj(1, 1);
  final DMatrixRMaj acc = new DMatrixRMaj(1, 1);
  final DMatrixRMaj scores = new DMatrixRMaj(1, 1);
}
