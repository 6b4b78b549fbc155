/**
 * Pure attention math on EJML matrices (fp64, no Spark): the {@link
 * io.sparkattention.kernel.AttentionOps} facade, the {@link
 * io.sparkattention.kernel.MergeableState} contract and its {@link
 * io.sparkattention.kernel.PartialAttention} (soft) and {@link
 * io.sparkattention.kernel.HardAttention} states, {@link io.sparkattention.kernel.Mask masks on
 * absolute positions}, multi-head projections, local-p centres, attention pooling and pyramidal
 * reduction.
 *
 * <p>Every matrix product goes through {@link io.sparkattention.kernel.MatrixEngine}. Nothing in
 * this package imports Spark or Scala; a test enforces it.
 */
package io.sparkattention.kernel;
