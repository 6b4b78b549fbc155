/**
 * Hot loops behind the {@link io.sparkattention.kernel} facades: the online-softmax block kernel,
 * the hard-attention kernel and the EJML engine. Not part of the public API: call {@link
 * io.sparkattention.kernel.AttentionOps} instead.
 */
package io.sparkattention.kernel.impl;
