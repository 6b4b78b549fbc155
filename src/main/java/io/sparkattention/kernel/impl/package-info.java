/**
 * Hot loops behind the {@link io.sparkattention.kernel} facades: the online-softmax block kernel,
 * the hard-attention kernel, what they share ({@link io.sparkattention.kernel.impl.Blocks}: the one
 * shape check and the key intervals; {@link io.sparkattention.kernel.impl.BlockScratch}: their
 * buffers) and the engines. Not part of the public API: call {@link
 * io.sparkattention.kernel.AttentionOps} instead.
 */
package io.sparkattention.kernel.impl;
