package io.sparkattention.kernel.impl;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SoftmaxRows} on the JDK's Vector API (incubating in JDK 17; needs {@code
 * --add-modules=jdk.incubator.vector}). Its {@code EXP} compiles to the JDK's SVML stubs on x86
 * (within 1 ulp of {@code Math.exp}). Loaded only through {@link SoftmaxRows#vectorOrNull()}, so a
 * JVM without the module never links this class.
 */
final class VectorSoftmaxRows extends SoftmaxRows {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;

  @Override
  public String name() {
    return "vector(" + SPECIES.vectorBitSize() + "-bit)";
  }

  @Override
  public double scaleAndMax(double[] s, int from, int to, double scale) {
    final int lanes = SPECIES.length();
    final int bound = from + SPECIES.loopBound(to - from);
    DoubleVector vmax = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
    int j = from;
    // s_j = s_j · scale; max = max_j s_j
    for (; j < bound; j += lanes) {
      DoubleVector v = DoubleVector.fromArray(SPECIES, s, j).mul(scale);
      v.intoArray(s, j);
      vmax = vmax.max(v);
    }
    // The tail, shorter than a vector, with plain loops.
    return Math.max(
        vmax.reduceLanes(VectorOperators.MAX),
        ScalarSoftmaxRows.INSTANCE.scaleAndMax(s, j, to, scale));
  }

  @Override
  public double expAndSum(double[] s, int from, int to, double shift) {
    final int lanes = SPECIES.length();
    final int bound = from + SPECIES.loopBound(to - from);
    DoubleVector vsum = DoubleVector.zero(SPECIES);
    int j = from;
    // s_j = exp(s_j - shift); sum = Σ_j s_j
    for (; j < bound; j += lanes) {
      DoubleVector p =
          DoubleVector.fromArray(SPECIES, s, j).sub(shift).lanewise(VectorOperators.EXP);
      p.intoArray(s, j);
      vsum = vsum.add(p);
    }
    return vsum.reduceLanes(VectorOperators.ADD)
        + ScalarSoftmaxRows.INSTANCE.expAndSum(s, j, to, shift);
  }
}
