package io.sparkattention.spark;

import java.io.Serializable;

/** A token's final attention output (after the output projection). */
public record FinishedToken(int seqIndex, long pos, double[] out) implements Serializable {}
