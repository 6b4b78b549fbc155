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
 * <p>Local-p ({@link #createLocalP}) cuts query tiles by predicted centre instead of position: see
 * {@link LocalPLayout}.
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
  private final SequenceCut[] layouts;
  private final List<TileTask> tasks;

  /** Local-p window half-width D, or 0 for a mask plan. */
  private final int localPWindow;

  private AttentionPlan(
      Strategy strategy,
      Mask mask,
      int blockSize,
      int numHeads,
      SequenceCut[] layouts,
      List<TileTask> tasks,
      int localPWindow) {
    this.strategy = strategy;
    this.mask = mask;
    this.blockSize = blockSize;
    this.numHeads = numHeads;
    this.layouts = layouts;
    this.tasks = tasks;
    this.localPWindow = localPWindow;
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
    requireResolved(strategy);
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
        strategy, mask, options.blockSize(), options.numHeads(), layouts, tasks, 0);
  }

  /**
   * Plans Luong local-p self-attention: query t sees keys {@code [ceil(p_t − D), floor(p_t + D)]}
   * around its predicted centre {@code p_t}, with {@code cells} the summary of every query's centre
   * (a first pass over the data). Query tiles gather queries of nearby centres (at most {@code
   * queryTileBlocks · blockSize} of them for blocks and heads); each tile's keys are the hull of
   * its windows, cut into key groups whose partial states merge by log-sum-exp. The mask of the
   * options is ignored.
   *
   * @throws IllegalArgumentException if the strategy is not single, blocks or heads, the cells do
   *     not match the lengths and options, or a sequence is empty
   */
  public static AttentionPlan createLocalP(long[] lengths, PlanOptions options, LocalPCells cells) {
    Strategy strategy = options.strategy();
    requireLocalPStrategy(strategy);
    if (cells.numSequences() != lengths.length || cells.blockSize() != options.blockSize()) {
      throw new IllegalArgumentException(
          "local-p cells of "
              + cells.numSequences()
              + " sequences and block size "
              + cells.blockSize()
              + " do not fit "
              + lengths.length
              + " sequences and block size "
              + options.blockSize());
    }
    if (strategy != Strategy.SINGLE
        && cells.chunkRows() != (long) options.blockSize() * options.queryTileBlocks()) {
      throw new IllegalArgumentException(
          "local-p cells have chunks of "
              + cells.chunkRows()
              + " rows but query tiles are "
              + options.queryTileBlocks()
              + " blocks of "
              + options.blockSize());
    }
    SequenceCut[] layouts = new SequenceCut[lengths.length];
    List<TileTask> tasks = new ArrayList<>();
    for (int s = 0; s < lengths.length; s++) {
      if (lengths[s] < 1) {
        throw new IllegalArgumentException("sequence " + s + " is empty");
      }
      if (cells.queries(s) != lengths[s]) {
        throw new IllegalArgumentException(
            "local-p cells count "
                + cells.queries(s)
                + " queries for sequence "
                + s
                + " of length "
                + lengths[s]);
      }
      layouts[s] = LocalPLayout.plan(s, lengths[s], options, cells, tasks);
    }
    return new AttentionPlan(
        strategy,
        Mask.none(),
        options.blockSize(),
        options.numHeads(),
        layouts,
        tasks,
        cells.halfWidth());
  }

  /** The strategy the plan was cut with (never {@link Strategy#AUTO}). */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * Throws unless local-p can be planned with {@code strategy}: single, blocks or heads (auto must
   * be resolved first; window is for mask attention).
   */
  public static void requireLocalPStrategy(Strategy strategy) {
    requireResolved(strategy);
    if (strategy == Strategy.WINDOW) {
      throw new IllegalArgumentException(
          "strategy 'window' is for local and causal attention; local-p runs with single, blocks"
              + " or heads (its blocks plan already gives each query only the keys near its centre)");
    }
  }

  private static void requireResolved(Strategy strategy) {
    if (strategy == Strategy.AUTO) {
      throw new IllegalArgumentException("resolve 'auto' with StrategyChooser before planning");
    }
  }

  /** The mask (none for local-p, whose windows come from the centres). */
  public Mask mask() {
    return mask;
  }

  /** Whether this is a local-p plan ({@link #createLocalP}). */
  public boolean isLocalP() {
    return localPWindow > 0;
  }

  /** The local-p window half-width D (0 for a mask plan). */
  public int localPWindow() {
    return localPWindow;
  }

  /** Rows of one kernel block. */
  public int blockSize() {
    return blockSize;
  }

  /** Number of heads. */
  public int numHeads() {
    return numHeads;
  }

  /** Number of sequences. */
  public int numSequences() {
    return layouts.length;
  }

  /** All tasks, ordered by id. */
  public List<TileTask> tasks() {
    return Collections.unmodifiableList(tasks);
  }

  /** The task with id {@code id}. */
  public TileTask task(int id) {
    return tasks.get(id);
  }

  /** Query length of sequence {@code seqIndex}. */
  public long queryLength(int seqIndex) {
    return layouts[seqIndex].queryLength();
  }

  /** Key length of sequence {@code seqIndex}. */
  public long keyLength(int seqIndex) {
    return layouts[seqIndex].keyLength();
  }

  /** Query tile size of sequence {@code seqIndex}. */
  public long queryTile(int seqIndex) {
    return layouts[seqIndex].queryTile();
  }

  /** Key group size of sequence {@code seqIndex}. */
  public long keyGroup(int seqIndex) {
    return layouts[seqIndex].keyGroup();
  }

  /** Number of head groups (1 unless the strategy splits by heads). */
  public int headGroups() {
    return layouts.length == 0 ? 1 : layouts[0].headGroups();
  }

  /**
   * How many partial states a query of task {@code t}'s tile receives (one per task covering it).
   * With 1 the task's outputs are final and no merge stage is needed for them.
   */
  public int partsPerQuery(TileTask t) {
    return layouts[t.seqIndex()].partsPerQuery(t);
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

  /**
   * Calls {@code sink} with the id of every task that needs query {@code pos} of the sequence.
   *
   * @throws IllegalStateException for a local-p plan (see the overload with the centre)
   */
  public void forEachQueryTask(int seqIndex, long pos, IntConsumer sink) {
    if (isLocalP()) {
      throw new IllegalStateException("a local-p plan routes queries by their centres");
    }
    layouts[seqIndex].forEachQueryTask(pos, Double.NaN, sink);
  }

  /**
   * Local-p: calls {@code sink} with the id of every task that needs query {@code pos} of the
   * sequence, whose predicted centre is {@code centre} (computed as for the plan's cells).
   *
   * @throws IllegalStateException if the centre puts the query in no tile of the plan
   */
  public void forEachQueryTask(int seqIndex, long pos, double centre, IntConsumer sink) {
    layouts[seqIndex].forEachQueryTask(pos, centre, sink);
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
        + " heads"
        + (isLocalP() ? ", local-p D=" + localPWindow : ", mask " + mask);
  }
}
