package io.sparkattention.kernel.impl;

/** {@link SoftmaxRows} with plain loops and {@code Math.exp}. */
final class ScalarSoftmaxRows extends SoftmaxRows {
  static final ScalarSoftmaxRows INSTANCE = new ScalarSoftmaxRows();

  private ScalarSoftmaxRows() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public double scaleAndMax(double[] s, int from, int to, double scale) {
    double max = Double.NEGATIVE_INFINITY;
    // s_j = s_j · scale; max = max_j s_j
    for (int j = from; j < to; j++) {
      double v = s[j] * scale;
      s[j] = v;
      if (v > max) {
        max = v;
      }
    }
    return max;
  }

  @Override
  public double expAndSum(double[] s, int from, int to, double shift) {
    double sum = 0;
    // s_j = exp(s_j - shift); sum = Σ_j s_j
    for (int j = from; j < to; j++) {
      double p = Math.exp(s[j] - shift);
      s[j] = p;
      sum += p;
    }
    return sum;
  }
}
