package io.sparkattention.cost;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.TileTask;

/**
 * The analytic model of a plan's cost, derived from its actual cut (the same {@link TileTask}s the
 * job runs), not from closed forms.
 *
 * <p>Shuffle bytes: stage 1 sends every routed token as one record of its input width in doubles
 * (queries and keys differ in cross-attention), stage 2 one partial state per (task, query) when a
 * query has several parts: {@code 2·heads} doubles (max and normaliser per head; hard attention:
 * best score and key) plus the weighted values. Each record also carries framing: the shuffle key
 * and the serializer's headers, {@link Framing}. The writer's check that the output holds one row
 * per token adds a small shuffle per output row.
 */
public final class CostModel {
  private CostModel() {}

  /**
   * Per-record framing bytes of the serializer, beside the doubles.
   *
   * @param routedRecordBytes stage 1 (task, role, position key and array header)
   * @param partialRecordBytes stage 2 (token key, indices, three array headers)
   * @param reduceRecordBytes a pyramidal encoder's reduce stage (step key, slot, array header)
   * @param checkRecordBytes the writer's one-row-per-token check, per output row (all of it: Spark
   *     SQL's aggregation buffer of {@code seq_id, pos})
   */
  public record Framing(
      int routedRecordBytes, int partialRecordBytes, int reduceRecordBytes, int checkRecordBytes) {
    /**
     * Kryo with our classes registered (spark.SparkAttentionKryoRegistrator), shuffle compression
     * off: measured 530 bytes per routed record and 570 per partial record at d = 64, one head (512
     * and 528 of them doubles); 529.5 per reduce record at d = 64 and 145 at d = 16 (the step key
     * is a variable-length long, a byte longer for later positions); 60 per output row for the
     * check with {@code seq_id}s of up to 8 characters (longer ones add their length, 8-byte
     * aligned). Measured with jobs/cost-report, 2026-11-25.
     */
    public static final Framing KRYO_REGISTERED = new Framing(18, 42, 17, 60);

    /** Framing of the attention stages; the reduce stage's as the routed records', no check. */
    public Framing(int routedRecordBytes, int partialRecordBytes) {
      this(routedRecordBytes, partialRecordBytes, routedRecordBytes, 0);
    }

    /** Framing without the output check. */
    public Framing(int routedRecordBytes, int partialRecordBytes, int reduceRecordBytes) {
      this(routedRecordBytes, partialRecordBytes, reduceRecordBytes, 0);
    }
  }

  /**
   * Estimates a self-attention plan's cost.
   *
   * @param plan the plan
   * @param inputWidth width of the input vectors (what stage 1 ships)
   * @param queryWidth width of the projected queries and keys (all heads)
   * @param valueWidth width of the projected values (all heads)
   * @param framing serializer framing per record
   */
  public static CostEstimate estimate(
      AttentionPlan plan, int inputWidth, int queryWidth, int valueWidth, Framing framing) {
    return estimate(plan, inputWidth, inputWidth, queryWidth, valueWidth, framing);
  }

  /**
   * Estimates a plan's cost when queries and keys come from tables of different widths
   * (cross-attention).
   *
   * @param queryInputWidth width of the query table's vectors
   * @param keyInputWidth width of the key/value table's vectors
   * @see #estimate(AttentionPlan, int, int, int, Framing)
   */
  public static CostEstimate estimate(
      AttentionPlan plan,
      int queryInputWidth,
      int keyInputWidth,
      int queryWidth,
      int valueWidth,
      Framing framing) {
    final int heads = plan.numHeads();
    final int groups = plan.headGroups();
    final int b = plan.blockSize();
    final Mask mask = plan.mask();
    double useful = 0;
    double executed = 0;
    long routed = 0;
    long routedBytes = 0;
    long partials = 0;
    long partialBytes = 0;
    long peak = 0;
    for (TileTask t : plan.tasks()) {
      // Per pair and head: q·k costs 2·dHead, p·v costs 2·dValueHead.
      double flopsPerPair =
          2.0 * queryWidth / heads * t.headCount() + 2.0 * valueWidth / heads * t.headCount();
      useful += flopsPerPair * t.attendedPairs();
      executed +=
          flopsPerPair
              * (plan.isLocalP()
                  ? localPComputedPairs(t, plan.localPWindow(), b)
                  : computedPairs(t, mask, b));
      routed += t.queryCount() + t.keyCount();
      routedBytes +=
          t.queryCount() * (8L * queryInputWidth + framing.routedRecordBytes())
              + t.keyCount() * (8L * keyInputWidth + framing.routedRecordBytes());
      int partialDoubles = 2 * t.headCount() + valueWidth / groups;
      if (plan.needsMerge()) {
        partials += t.queryCount();
        partialBytes += t.queryCount() * (8L * partialDoubles + framing.partialRecordBytes());
      }
      peak =
          Math.max(
              peak,
              taskBytes(
                  t, b, queryInputWidth, keyInputWidth, queryWidth / groups, valueWidth / groups));
    }
    long outputRows = 0;
    for (int s = 0; s < plan.numSequences(); s++) {
      outputRows += plan.queryLength(s);
    }
    return new CostEstimate(
            plan.tasks().size(),
            useful,
            executed,
            routed,
            routedBytes,
            partials,
            partialBytes,
            peak)
        .withCheckBytes(outputRows * framing.checkRecordBytes());
  }

  /**
   * Estimates attention after a pyramidal encoder: the reduce stage shuffles every input token once
   * ({@code inputWidth} doubles and the framing) to its top-level step, then attention runs as
   * {@code topPlan} says over the top level's steps, {@code 2^L·inputWidth} wide.
   *
   * @param topPlan the plan over the top level's lengths
   * @param inputTokens tokens of the input (level 0)
   * @param inputWidth width of the input vectors
   * @param levels L ≥ 1
   * @param queryWidth width of the projected queries and keys at the top level (all heads)
   * @param valueWidth width of the projected values at the top level (all heads)
   */
  public static CostEstimate estimatePyramid(
      AttentionPlan topPlan,
      long inputTokens,
      int inputWidth,
      int levels,
      int queryWidth,
      int valueWidth,
      Framing framing) {
    if (levels < 1) {
      throw new IllegalArgumentException("a pyramid has >= 1 level, got " + levels);
    }
    CostEstimate a = estimate(topPlan, inputWidth << levels, queryWidth, valueWidth, framing);
    // A reduce task holds one top-level step at a time: 2^L input vectors and the output.
    long reduceTaskBytes = 2L * 8 * ((long) inputWidth << levels);
    return new CostEstimate(
        a.tasks(),
        a.usefulFlops(),
        a.executedFlops(),
        a.routedRecords(),
        a.routedBytes(),
        a.partialRecords(),
        a.partialBytes(),
        Math.max(a.peakTaskBytes(), reduceTaskBytes),
        inputTokens,
        inputTokens * (8L * inputWidth + framing.reduceRecordBytes()),
        a.checkBytes());
  }

  /** (query, key) entries of every block pair the task's kernel computes (not skipped). */
  static long computedPairs(TileTask t, Mask mask, int b) {
    long pairs = 0;
    for (long q0 = t.qStart(); q0 < t.qEnd(); q0 += b) {
      long q1 = Math.min(t.qEnd(), q0 + b) - 1;
      for (long k0 = t.kStart(); k0 < t.kEnd(); k0 += b) {
        long k1 = Math.min(t.kEnd(), k0 + b) - 1;
        if (mask.anyAllowed(q0, q1, k0, k1)) {
          pairs += (q1 - q0 + 1) * (k1 - k0 + 1);
        }
      }
    }
    return pairs;
  }

  /**
   * Local-p: what the kernel computes when the task's queries, ordered by centre, are cut into
   * blocks of b rows and each block meets the key blocks of its windows. A model, not a count (the
   * centres are not in the plan): a window of 2D+1 keys is taken to cost {@code ceil((2D+1)/b) + 1}
   * whole key blocks, so each attended pair stands for that many keys over 2D+1; at most the task's
   * queries × keys. About (2D+1) keys per query, rounded up to blocks.
   */
  static long localPComputedPairs(TileTask t, int halfWidth, int b) {
    long window = 2L * halfWidth + 1;
    long kb = Math.min(b, Math.max(1, t.keyCount()));
    long keysPerWindow = kb * ((window + kb - 1) / kb + 1);
    double pairs = t.attendedPairs() * (double) keysPerWindow / window;
    return Math.round(Math.min((double) t.queryCount() * t.keyCount(), pairs));
  }

  /**
   * A task's working set: its raw and projected query tile, the partial states (values, max and
   * normaliser per head), one raw and projected key/value block, and one score block.
   */
  static long taskBytes(
      TileTask t, int b, int queryInputWidth, int keyInputWidth, int queryWidth, int valueWidth) {
    long tq = t.queryCount();
    long kb = Math.min(b, Math.max(1, t.keyCount()));
    long qb = Math.min(b, tq);
    long doubles =
        tq * (queryInputWidth + queryWidth + valueWidth + 2L * t.headCount())
            + kb * (keyInputWidth + queryWidth + valueWidth)
            + qb * kb;
    return 8 * doubles;
  }
}
