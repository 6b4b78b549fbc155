package io.sparkattention.cost;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;

/**
 * The model's estimate of one sequence's attention without running it: the plan the job would cut
 * (default tiles) and {@link CostModel#estimate} over it, self-attention without projections (every
 * width d), Kryo framing.
 */
public final class PlanCosts {
  private PlanCosts() {}

  /**
   * One sequence of {@code n} tokens of width {@code dModel}.
   *
   * @param hard hard attention's kernel (no value product)
   * @throws IllegalArgumentException if the plan cannot be made (the message says why)
   */
  public static CostEstimate estimate(
      long n, Mask mask, Strategy strategy, int blockSize, int heads, int dModel, boolean hard) {
    return CostModel.estimate(
        plan(n, mask, strategy, blockSize, heads),
        CostModel.Widths.self(dModel),
        CostModel.Framing.KRYO_REGISTERED,
        hard);
  }

  /** The plan of one sequence of {@code n} tokens. */
  public static AttentionPlan plan(long n, Mask mask, Strategy strategy, int blockSize, int heads) {
    return AttentionPlan.create(
        new long[] {n},
        PlanOptions.builder()
            .strategy(strategy)
            .mask(mask)
            .blockSize(blockSize)
            .numHeads(heads)
            .build());
  }
}
