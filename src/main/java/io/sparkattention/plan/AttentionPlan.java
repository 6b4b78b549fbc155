package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The cut of every sequence into {@link TileTask tile tasks}, and the routing of each token to the
 * tasks that need it as a query or as a key/value.
 *
 * <p>Each sequence's queries are cut into tiles of {@code queryTile} rows and its keys into groups
 * of {@code keyGroup} rows; a task is a (head group, query tile, key group) whose keys the mask
 * lets the tile's queries reach (blocks wholly masked, such as those above the causal diagonal, get
 * no task). Within a task the kernel walks {@code blockSize} × {@code blockSize} block pairs, so
 * memory per task is O(queryTile·d + blockSize·d + blockSize²), never O(n²). Strategies differ only
 * in the sizes:
 *
 * <ul>
 *   <li>single: one tile and one key group per sequence;
 *   <li>blocks: tiles of {@code queryTileBlocks·blockSize} rows, key groups of {@code
 *       keyTileBlocks·blockSize} rows; the partial states of a query's key groups are merged;
 *   <li>window: tiles as in blocks, one key group clipped to the tile's window plus halo;
 *   <li>heads: as blocks, and one head group per head.
 * </ul>
 *
 * <p>The cut depends only on the lengths and these options, never on the partition count, so the
 * merge order, and thus every output bit, is the same however the work is spread.
 */
public final class AttentionPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Strategy strategy;
  private final Mask mask;
  private final int blockSize;
  private final int numHeads;
  private final SequenceLayout[] layouts;
  private final List<TileTask> tasks;

  private AttentionPlan(
      Strategy strategy,
      Mask mask,
      int blockSize,
      int numHeads,
      SequenceLayout[] layouts,
      List<TileTask> tasks) {
    this.strategy = strategy;
    this.mask = mask;
    this.blockSize = blockSize;
    this.numHeads = numHeads;
    this.layouts = layouts;
    this.tasks = tasks;
  }

  /**
   * Plans self-attention (keys are the queries' own sequence).
   *
   * @see #create(long[], long[], PlanOptions)
   */
  public static AttentionPlan create(long[] lengths, PlanOptions options) {
    return create(lengths, lengths, options);
  }

  /**
   * Plans attention of sequences of {@code queryLengths[s]} queries over {@code keyLengths[s]}
   * keys.
   *
   * @throws IllegalArgumentException if the lengths disagree in count, a length is below 1, or the
   *     strategy does not fit the mask (window needs a windowed mask)
   */
  public static AttentionPlan create(long[] queryLengths, long[] keyLengths, PlanOptions options) {
    if (queryLengths.length != keyLengths.length) {
      throw new IllegalArgumentException(
          queryLengths.length + " query sequences but " + keyLengths.length + " key sequences");
    }
    Strategy strategy = options.strategy();
    if (strategy == Strategy.AUTO) {
      throw new IllegalArgumentException("resolve 'auto' with StrategyChooser before planning");
    }
    Mask mask = options.mask();
    if (strategy == Strategy.WINDOW
        && mask.kind() != Mask.Kind.WINDOW
        && mask.kind() != Mask.Kind.CAUSAL_WINDOW) {
      throw new IllegalArgumentException(
          "strategy 'window' needs a windowed mask (local attention, or causal with a window), got "
              + mask);
    }
    SequenceLayout[] layouts = new SequenceLayout[queryLengths.length];
    List<TileTask> tasks = new ArrayList<>();
    for (int s = 0; s < queryLengths.length; s++) {
      if (queryLengths[s] < 1 || keyLengths[s] < 1) {
        throw new IllegalArgumentException(
            "sequence "
                + s
                + " is empty ("
                + queryLengths[s]
                + " queries, "
                + keyLengths[s]
                + " keys)");
      }
      layouts[s] = SequenceLayout.plan(s, queryLengths[s], keyLengths[s], options, tasks);
    }
    return new AttentionPlan(
        strategy, mask, options.blockSize(), options.numHeads(), layouts, tasks);
  }

  public Strategy strategy() {
    return strategy;
  }

  public Mask mask() {
    return mask;
  }

  public int blockSize() {
    return blockSize;
  }

  public int numHeads() {
    return numHeads;
  }

  public int numSequences() {
    return layouts.length;
  }

  /** All tasks, ordered by id. */
  public List<TileTask> tasks() {
    return Collections.unmodifiableList(tasks);
  }

  public TileTask task(int id) {
    return tasks.get(id);
  }

  /** Query length of sequence {@code seqIndex}. */
  public long queryLength(int seqIndex) {
    return layouts[seqIndex].queryLength;
  }

  /** Key length of sequence {@code seqIndex}. */
  public long keyLength(int seqIndex) {
    return layouts[seqIndex].keyLength;
  }

  /** Query tile size of sequence {@code seqIndex}. */
  public long queryTile(int seqIndex) {
    return layouts[seqIndex].queryTile;
  }

  /** Key group size of sequence {@code seqIndex}. */
  public long keyGroup(int seqIndex) {
    return layouts[seqIndex].keyGroup;
  }

  /** Number of head groups (1 unless the strategy splits by heads). */
  public int headGroups() {
    return layouts.length == 0 ? 1 : layouts[0].headGroups;
  }

  /**
   * How many partial states a query of task {@code t}'s tile receives (one per task covering it).
   * With 1 the task's outputs are final and no merge stage is needed for them.
   */
  public int partsPerQuery(TileTask t) {
    return layouts[t.seqIndex()].partsPerQuery(t.qStart());
  }

  /** Whether any query receives more than one partial state. */
  public boolean needsMerge() {
    for (TileTask t : tasks) {
      if (partsPerQuery(t) > 1) {
        return true;
      }
    }
    return false;
  }

  /** Calls {@code sink} with the id of every task that needs query {@code pos} of the sequence. */
  public void forEachQueryTask(int seqIndex, long pos, IntConsumer sink) {
    layouts[seqIndex].forEachQueryTask(pos, sink);
  }

  /** Calls {@code sink} with the id of every task that needs key {@code pos} of the sequence. */
  public void forEachKeyTask(int seqIndex, long pos, IntConsumer sink) {
    layouts[seqIndex].forEachKeyTask(pos, sink, tasks);
  }

  /** Total (query, key) pairs the mask allows, over all tasks. */
  public long attendedPairs() {
    long sum = 0;
    for (TileTask t : tasks) {
      sum += t.attendedPairs();
    }
    return sum;
  }

  @Override
  public String toString() {
    return strategy
        + " plan: "
        + layouts.length
        + " sequences, "
        + tasks.size()
        + " tasks, block size "
        + blockSize
        + ", "
        + numHeads
        + " heads, mask "
        + mask;
  }
}
