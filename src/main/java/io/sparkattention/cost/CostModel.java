package io.sparkattention.cost;

import io.sparkattention.kernel.GlobalTokens;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.TileTask;

/**
 * The analytic model of a plan's cost, derived from its actual cut (the same {@link TileTask}s the
 * job runs), not from closed forms.
 *
 * <p>Shuffle bytes: stage 1 sends every routed token as one record of its input width in doubles
 * (queries and keys differ in cross-attention), or a key row as its task's share of the projected
 * keys and values where that is fewer doubles ({@link Widths#keysProjected}), stage 2 one partial
 * state per (task, query) when a query has several parts: {@code 2·heads} doubles (max and
 * normaliser per head; hard attention: best score and key) plus the weighted values. Each record
 * also carries framing: the shuffle key and the serializer's headers, {@link Framing}. The writer's
 * check that the output holds one row per token shuffles nothing (it counts the rows on their way
 * to the writer).
 */
public final class CostModel {
  private CostModel() {}

  /**
   * Per-record framing bytes of the serializer, beside the doubles.
   *
   * @param routedRecordBytes stage 1 (task, role, position key and array header)
   * @param partialRecordBytes stage 2 (token key, indices, three array headers)
   * @param reduceRecordBytes a pyramidal encoder's reduce stage (step key, slot, array header)
   */
  public record Framing(int routedRecordBytes, int partialRecordBytes, int reduceRecordBytes) {
    /**
     * Kryo with our classes registered (spark.SparkAttentionKryoRegistrator), shuffle compression
     * off: measured 530 bytes per routed record and 570 per partial record at d = 64, one head (512
     * and 528 of them doubles); 529.5 per reduce record at d = 64 and 145 at d = 16 (the step key
     * is a variable-length long, a byte longer for later positions). Measured with
     * jobs/cost-report, 2026-11-25.
     */
    public static final Framing KRYO_REGISTERED = new Framing(18, 42, 17);

    /** No framing: the doubles alone. */
    public static final Framing NONE = new Framing(0, 0, 0);

    /**
     * @throws IllegalArgumentException if a size is negative
     */
    public Framing {
      if (routedRecordBytes < 0 || partialRecordBytes < 0 || reduceRecordBytes < 0) {
        throw new IllegalArgumentException(
            "framing bytes must be >= 0, got "
                + routedRecordBytes
                + ", "
                + partialRecordBytes
                + " and "
                + reduceRecordBytes);
      }
    }
  }

  /**
   * The vector widths a plan's stages carry and compute with.
   *
   * @param queryInput width of the query table's vectors (what stage 1 ships per query)
   * @param keyInput width of the key/value table's vectors (what stage 1 ships per key; differs
   *     from {@code queryInput} in cross-attention)
   * @param query width of the projected queries, all heads
   * @param value width of the concatenated value heads, all query heads (what the partial states
   *     and the output projection carry)
   * @param key width of the projected keys: {@code query} unless grouped-query attention shares G
   *     &lt; H key/value heads ({@code query·G/H})
   * @param keyValue width of the projected values: {@code value} unless grouped-query ({@code
   *     value·G/H})
   */
  public record Widths(int queryInput, int keyInput, int query, int value, int key, int keyValue)
      implements java.io.Serializable {
    /** One key/value head per query head: keys as wide as queries, values as the heads. */
    public Widths(int queryInput, int keyInput, int query, int value) {
      this(queryInput, keyInput, query, value, query, value);
    }

    /**
     * @throws IllegalArgumentException if a width is below 1
     */
    public Widths {
      if (queryInput < 1 || keyInput < 1 || query < 1 || value < 1 || key < 1 || keyValue < 1) {
        throw new IllegalArgumentException(
            "widths must be >= 1, got inputs "
                + queryInput
                + " and "
                + keyInput
                + ", query "
                + query
                + ", value "
                + value);
      }
    }

    /**
     * Doubles of one key row's projected keys and values as a task of {@code groups} head groups
     * holds them: its group's share of both, {@code (key + keyValue) / groups}.
     */
    public int projectedKeyDoubles(int groups) {
      return key / groups + keyValue / groups;
    }

    /**
     * Whether stage 1 ships a key row to a task of {@code groups} head groups projected (its
     * group's keys and values, {@link #projectedKeyDoubles}) rather than raw ({@code keyInput}
     * doubles): exactly when that is fewer doubles. Grouped-query attention with G &lt; H/2
     * key/value heads saves this way on every strategy, and the head split (a task per group) for
     * any G of more than two query heads.
     */
    public boolean keysProjected(int groups) {
      return projectedKeyDoubles(groups) < keyInput;
    }

    /** Doubles stage 1 ships per key row to a task of {@code groups} head groups. */
    public int routedKeyDoubles(int groups) {
      return keysProjected(groups) ? projectedKeyDoubles(groups) : keyInput;
    }

    /** Self-attention: queries and keys from one table of {@code inputWidth}. */
    public static Widths self(int inputWidth, int queryWidth, int valueWidth) {
      return new Widths(inputWidth, inputWidth, queryWidth, valueWidth);
    }

    /** Self-attention without projections: every width {@code d}. */
    public static Widths self(int d) {
      return self(d, d, d);
    }
  }

  /**
   * Estimates a plan's cost.
   *
   * @param plan the plan
   * @param widths the input widths (what stage 1 ships) and the projected widths
   * @param framing serializer framing per record
   */
  public static CostEstimate estimate(AttentionPlan plan, Widths widths, Framing framing) {
    return estimate(plan, widths, framing, false);
  }

  /**
   * Estimates a plan's cost, of softmax attention or of hard attention. Hard attention's kernel
   * computes the scores q·k (2·dHead FLOPs per pair and head) and keeps per query the best key's
   * value, copied when a better key appears (at most once per key, dValueHead doubles, not counted:
   * no arithmetic); it computes no value product p·v. So its FLOPs are the scores' alone, half of
   * softmax attention's when keys and values are as wide.
   *
   * @param plan the plan
   * @param widths the input widths (what stage 1 ships) and the projected widths
   * @param framing serializer framing per record
   * @param hard whether the kernel is hard attention's (argmax or sampled: no value product)
   */
  public static CostEstimate estimate(
      AttentionPlan plan, Widths widths, Framing framing, boolean hard) {
    // needsMerge() is asked once, not per task: asking it in the loop made the estimate quadratic
    // in the number of sequences (541 s for 200,000 short ones, issue 13).
    Totals sum = new Totals(plan, widths, framing, plan.needsMerge(), hard);
    for (TileTask t : plan.tasks()) {
      sum.add(t, plan.headGroups(), true);
    }
    for (int s = 0; s < plan.numSequences(); s++) {
      if (plan.isWhole(s)) {
        // one task of every head; self-attention ships its tokens once (as queries)
        sum.add(plan.task(plan.wholeTaskId(s)), 1, !plan.isSelfAttention());
      }
    }
    return CostEstimate.builder()
        .tasks(plan.tasks().size() + plan.numWholeSequences())
        .flops(sum.useful, sum.executed)
        .executedScores(sum.scores)
        .routed(sum.routed, sum.routedBytes)
        .partials(sum.partials, sum.partialBytes)
        .peakTaskBytes(sum.peak)
        .build();
  }

  /** The running sums of {@link #estimate}, one task at a time. */
  private static final class Totals {
    private final AttentionPlan plan;
    private final Widths widths;
    private final Framing framing;
    private final boolean merge;
    private final boolean hard;
    double useful;
    double scores;
    double executed;
    long routed;
    long routedBytes;
    long partials;
    long partialBytes;
    long peak;

    Totals(AttentionPlan plan, Widths widths, Framing framing, boolean merge, boolean hard) {
      this.plan = plan;
      this.hard = hard;
      this.widths = widths;
      this.framing = framing;
      this.merge = merge;
    }

    /** Adds task t of a plan cut into {@code groups} head groups; keys shipped or not. */
    void add(TileTask t, int groups, boolean keysRouted) {
      final int heads = plan.numHeads();
      final int b = plan.blockSize();
      // Per pair and head: q·k costs 2·dHead, p·v costs 2·dValueHead (none in hard attention).
      double flopsPerPair =
          2.0 * widths.query() / heads * t.headCount()
              + (hard ? 0 : 2.0 * widths.value() / heads * t.headCount());
      useful += flopsPerPair * t.attendedPairs();
      long computed =
          plan.isLocalP()
              ? localPComputedPairs(t, plan.localPWindow(), b)
              : computedPairs(t, plan.mask(t.seqIndex()), b);
      executed += flopsPerPair * computed;
      scores += (double) computed * t.headCount();
      long keys = keysRouted ? t.keyCount() : 0;
      routed += t.queryCount() + keys;
      routedBytes +=
          t.queryCount() * (8L * widths.queryInput() + framing.routedRecordBytes())
              + keys * (8L * widths.routedKeyDoubles(groups) + framing.routedRecordBytes());
      int partialDoubles = 2 * t.headCount() + widths.value() / groups;
      if (merge) {
        partials += t.queryCount();
        partialBytes += t.queryCount() * (8L * partialDoubles + framing.partialRecordBytes());
      }
      peak = Math.max(peak, taskBytes(t, b, widths, groups));
    }
  }

  /**
   * Estimates attention after a pyramidal encoder of {@code levels} levels: the reduce stage
   * shuffles every input token once (its vector of {@code topWidths.queryInput() / 2^L} doubles and
   * the framing) to its top-level step, then attention runs as {@code topPlan} says over the top
   * level's steps.
   *
   * @param topPlan the plan over the top level's lengths
   * @param topWidths the top level's widths: self-attention over steps {@code 2^L·d} wide, d the
   *     input's width
   * @param levels L ≥ 1
   * @param inputTokens tokens of the input (level 0)
   * @throws IllegalArgumentException if {@code levels} is below 1, or the top level's input width
   *     is not {@code 2^L·d} for both queries and keys
   */
  public static CostEstimate estimatePyramid(
      AttentionPlan topPlan, Widths topWidths, int levels, long inputTokens, Framing framing) {
    if (levels < 1) {
      throw new IllegalArgumentException("a pyramid has >= 1 level, got " + levels);
    }
    int inputWidth = topWidths.queryInput() >> levels;
    if (topWidths.keyInput() != topWidths.queryInput()
        || inputWidth << levels != topWidths.queryInput()) {
      throw new IllegalArgumentException(
          "a pyramid's top level is self-attention over steps 2^"
              + levels
              + "·d wide, got input widths "
              + topWidths.queryInput()
              + " and "
              + topWidths.keyInput());
    }
    CostEstimate a = estimate(topPlan, topWidths, framing);
    // A reduce task holds one top-level step at a time: 2^L input vectors and the output.
    long reduceTaskBytes = 2L * 8 * ((long) inputWidth << levels);
    return a.toBuilder()
        .peakTaskBytes(Math.max(a.peakTaskBytes(), reduceTaskBytes))
        .reduce(inputTokens, inputTokens * (8L * inputWidth + framing.reduceRecordBytes()))
        .build();
  }

  /** (query, key) entries of every block pair the task's kernel computes (not skipped). */
  static long computedPairs(TileTask t, Mask mask, int b) {
    if (mask.kind() == Mask.Kind.NONE && !mask.hasSegments()) {
      // every block pair is computed: no need to visit them (10^8 of them at 10^7 tokens)
      return t.queryCount() * t.keyCount();
    }
    if (t.gatheredKeys()) {
      return gatheredComputedPairs(t, mask, b);
    }
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
   * {@link #computedPairs} of a task whose keys are the global tokens gathered from {@code [kStart,
   * kEnd)}: the kernel folds them b at a time, each block spanning the positions of its first and
   * last key; O(global runs in the range + blocks).
   */
  static long gatheredComputedPairs(TileTask t, Mask mask, int b) {
    GlobalTokens g = mask.globals();
    long pairs = 0;
    long blockFirst = -1;
    long inBlock = 0;
    for (int r = g.runFrom(t.kStart()); r < g.runCount() && g.runStart(r) < t.kEnd(); r++) {
      long p = Math.max(t.kStart(), g.runStart(r));
      long last = Math.min(t.kEnd() - 1, g.runEnd(r));
      while (p <= last) {
        if (inBlock == 0) {
          blockFirst = p;
        }
        long take = Math.min(b - inBlock, last - p + 1);
        inBlock += take;
        p += take;
        if (inBlock == b) {
          pairs += gatheredBlockPairs(t, mask, b, blockFirst, p - 1, inBlock);
          inBlock = 0;
        }
      }
    }
    if (inBlock > 0) {
      pairs += gatheredBlockPairs(t, mask, b, blockFirst, t.kEnd() - 1, inBlock);
    }
    return pairs;
  }

  private static long gatheredBlockPairs(
      TileTask t, Mask mask, int b, long k0, long k1, long keys) {
    long pairs = 0;
    for (long q0 = t.qStart(); q0 < t.qEnd(); q0 += b) {
      long q1 = Math.min(t.qEnd(), q0 + b) - 1;
      if (mask.anyAllowed(q0, q1, k0, k1)) {
        pairs += (q1 - q0 + 1) * keys;
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
   * normaliser per head), one raw and projected key/value block (no raw block when the keys arrive
   * projected, {@link Widths#keysProjected}), and one score block. The projected widths are a head
   * group's share of {@code widths}.
   */
  static long taskBytes(TileTask t, int b, Widths widths, int headGroups) {
    int queryWidth = widths.query() / headGroups;
    int valueWidth = widths.value() / headGroups;
    long tq = t.queryCount();
    long kb = Math.min(b, Math.max(1, t.keyCount()));
    long qb = Math.min(b, tq);
    // a key block holds the group's key/value heads only (G/groups of them with GQA)
    long doubles =
        tq * (widths.queryInput() + queryWidth + valueWidth + 2L * t.headCount())
            + kb
                * ((widths.keysProjected(headGroups) ? 0 : widths.keyInput())
                    + widths.projectedKeyDoubles(headGroups))
            + qb * kb;
    return 8 * doubles;
  }
}
