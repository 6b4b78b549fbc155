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
 *   <li>window: tiles as in blocks, one key group clipped to each tile's reach (or as blocks);
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
  private final int headGroups;

  /** Per sequence its cut, or null for a sequence that runs whole ({@link #isWhole}). */
  private final SequenceCut[] layouts;

  private final List<TileTask> tasks;

  /** Per sequence its lengths (one array for self-attention): no object per whole sequence. */
  private final long[] queryLengths;

  private final long[] keyLengths;

  private final int wholeSequences;

  /** Planned by {@link #create(long[], PlanOptions)}: keys are the queries' own tokens. */
  private final boolean selfAttention;

  /** Computed once: asking it per task made the cost estimate quadratic (issue 13). */
  private final boolean needsMerge;

  /** Local-p window half-width D, or 0 for a mask plan. */
  private final int localPWindow;

  /** Per sequence its segments and global tokens; null: the plan's mask for every sequence. */
  private final SequenceMasks sequenceMasks;

  private AttentionPlan(
      PlanOptions options,
      Mask mask,
      SequenceCut[] layouts,
      List<TileTask> tasks,
      long[] queryLengths,
      long[] keyLengths,
      boolean selfAttention,
      int localPWindow,
      SequenceMasks sequenceMasks) {
    this.sequenceMasks = sequenceMasks;
    this.selfAttention = selfAttention;
    this.strategy = options.strategy();
    this.mask = mask;
    this.blockSize = options.blockSize();
    this.numHeads = options.numHeads();
    // as SequenceCut: the head split keeps each key/value head with its query heads
    this.headGroups = strategy == Strategy.HEADS ? options.kvHeads() : 1;
    this.layouts = layouts;
    this.tasks = tasks;
    this.queryLengths = queryLengths;
    this.keyLengths = keyLengths;
    this.localPWindow = localPWindow;
    int whole = 0;
    for (SequenceCut c : layouts) {
      whole += c == null ? 1 : 0;
    }
    this.wholeSequences = whole;
    boolean merge = false;
    for (TileTask t : tasks) {
      merge |= partsPerQuery(t) > 1;
    }
    this.needsMerge = merge;
  }

  /**
   * Plans self-attention (keys are the queries' own sequence).
   *
   * @see #create(long[], long[], PlanOptions)
   */
  public static AttentionPlan create(long[] lengths, PlanOptions options) {
    return create(lengths, lengths, null, options, true);
  }

  /**
   * Plans self-attention where sequences' masks differ by {@code masks}: segments, global tokens at
   * data positions (a global-token column, whose tiles gather the global keys outside their reach;
   * tiles with a global query reach every key of its segment), or both. Block pairs nothing reaches
   * get no task.
   *
   * @throws IllegalArgumentException as {@link #create(long[], PlanOptions)}, or if a sequence's
   *     segment starts or global positions are out of order or beyond its length
   */
  public static AttentionPlan create(long[] lengths, SequenceMasks masks, PlanOptions options) {
    return create(lengths, lengths, masks, options, true);
  }

  /**
   * Plans attention of sequences of {@code queryLengths[s]} queries over {@code keyLengths[s]}
   * keys.
   *
   * @throws IllegalArgumentException if the lengths disagree in count, a length is below 1, or the
   *     strategy does not fit the mask (window needs a windowed mask)
   */
  public static AttentionPlan create(long[] queryLengths, long[] keyLengths, PlanOptions options) {
    return create(queryLengths, keyLengths, null, options, false);
  }

  private static AttentionPlan create(
      long[] queryLengths,
      long[] keyLengths,
      SequenceMasks masks,
      PlanOptions options,
      boolean self) {
    if (queryLengths.length != keyLengths.length) {
      throw new IllegalArgumentException(
          queryLengths.length + " query sequences but " + keyLengths.length + " key sequences");
    }
    options.strategy().requireResolved();
    List<TileTask> tasks = new ArrayList<>();
    SequenceLayout[] layouts =
        SequenceLayout.planAll(queryLengths, keyLengths, masks, options, tasks);
    return new AttentionPlan(
        options, options.mask(), layouts, tasks, queryLengths, keyLengths, self, 0, masks);
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
    options.strategy().requireLocalP();
    List<TileTask> tasks = new ArrayList<>();
    SequenceCut[] layouts = LocalPLayout.planAll(lengths, options, cells, tasks);
    return new AttentionPlan(
        options, Mask.none(), layouts, tasks, lengths, lengths, true, cells.halfWidth(), null);
  }

  /** The strategy the plan was cut with (never {@link Strategy#AUTO}). */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * The mask (none for local-p, whose windows come from the centres), without segments: see {@link
   * #mask(int)}.
   */
  public Mask mask() {
    return mask;
  }

  /**
   * The mask of sequence {@code seqIndex}: {@link #mask()} within the sequence's segments and with
   * its global tokens ({@link #sequenceMasks}).
   */
  public Mask mask(int seqIndex) {
    return sequenceMasks == null ? mask : sequenceMasks.apply(mask, seqIndex);
  }

  /**
   * Per sequence its segments and global tokens, or null for a plan whose sequences all have its
   * {@link #mask()}; shared, not to be changed.
   */
  public SequenceMasks sequenceMasks() {
    return sequenceMasks;
  }

  /** Whether some sequence has more than one segment ({@link SequenceMasks#segments}). */
  public boolean hasSegments() {
    return sequenceMasks != null && sequenceMasks.hasSegments();
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

  /**
   * The tile tasks, ordered by id (none for a sequence that runs whole: see {@link #wholeTaskId}).
   */
  public List<TileTask> tasks() {
    return Collections.unmodifiableList(tasks);
  }

  /**
   * Whether sequence {@code seqIndex} runs whole: its queries and keys each fit in one block and
   * the options asked for it ({@link PlanOptions#wholeSequences()}). Such a sequence has no tile
   * object in the plan; its one task, of every head, is made on demand by {@link #task} from its id
   * {@link #wholeTaskId}, and its outputs need no merge.
   */
  public boolean isWhole(int seqIndex) {
    return layouts[seqIndex] == null;
  }

  /**
   * Whether the plan is of self-attention (keys are the queries' tokens): a whole sequence's tokens
   * are then shipped once and folded as both.
   */
  public boolean isSelfAttention() {
    return selfAttention;
  }

  /** How many sequences run whole. */
  public int numWholeSequences() {
    return wholeSequences;
  }

  /**
   * The task id of whole sequence {@code seqIndex}: after the tile tasks, {@code tasks().size() +
   * seqIndex}, so ids are below {@link #numTaskIds()}.
   */
  public int wholeTaskId(int seqIndex) {
    return tasks.size() + seqIndex;
  }

  /** One past the largest task id: tile tasks, then one id per sequence (used by whole ones). */
  public int numTaskIds() {
    return tasks.size() + layouts.length;
  }

  /**
   * The task with id {@code id}: a tile task, or a whole sequence's one task (made here, O(its
   * length)).
   */
  public TileTask task(int id) {
    if (id < tasks.size()) {
      return tasks.get(id);
    }
    int s = id - tasks.size();
    if (!isWhole(s)) {
      throw new IllegalArgumentException("task id " + id + " names no task");
    }
    return SequenceLayout.wholeTask(id, s, queryLengths[s], keyLengths[s], mask(s), numHeads);
  }

  /** Query length of sequence {@code seqIndex}. */
  public long queryLength(int seqIndex) {
    return queryLengths[seqIndex];
  }

  /** Key length of sequence {@code seqIndex}. */
  public long keyLength(int seqIndex) {
    return keyLengths[seqIndex];
  }

  /** Query tile size of sequence {@code seqIndex} (its length when it runs whole). */
  public long queryTile(int seqIndex) {
    return isWhole(seqIndex) ? queryLengths[seqIndex] : layouts[seqIndex].queryTile();
  }

  /** Key group size of sequence {@code seqIndex} (its key length when it runs whole). */
  public long keyGroup(int seqIndex) {
    return isWhole(seqIndex) ? keyLengths[seqIndex] : layouts[seqIndex].keyGroup();
  }

  /**
   * Number of head groups of the tile tasks (1 unless the strategy splits by heads); a whole
   * sequence's task holds every head.
   */
  public int headGroups() {
    return headGroups;
  }

  /**
   * How many partial states a query of task {@code t}'s tile receives (one per task covering it).
   * With 1 the task's outputs are final and no merge stage is needed for them.
   */
  public int partsPerQuery(TileTask t) {
    return t.id() >= tasks.size() ? 1 : layouts[t.seqIndex()].partsPerQuery(t);
  }

  /** Whether any query receives more than one partial state (O(1): computed with the plan). */
  public boolean needsMerge() {
    return needsMerge;
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
    if (isWhole(seqIndex)) {
      SequenceCut.checkPos(pos, queryLengths[seqIndex], "query");
      sink.accept(wholeTaskId(seqIndex));
      return;
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
    if (isWhole(seqIndex)) {
      SequenceCut.checkPos(pos, keyLengths[seqIndex], "key");
      // the task's keys are those its queries may reach (all of them in self-attention)
      long[] reach =
          SequenceLayout.reach(queryLengths[seqIndex], keyLengths[seqIndex], mask(seqIndex));
      if (pos >= reach[0] && pos <= reach[1]) {
        sink.accept(wholeTaskId(seqIndex));
      }
      return;
    }
    layouts[seqIndex].forEachKeyTask(pos, sink, tasks);
  }

  /** Total (query, key) pairs the mask allows, over all tasks. */
  public long attendedPairs() {
    long sum = 0;
    for (TileTask t : tasks) {
      sum += t.attendedPairs();
    }
    for (int s = 0; s < layouts.length; s++) {
      if (isWhole(s)) {
        sum += task(wholeTaskId(s)).attendedPairs();
      }
    }
    return sum;
  }

  @Override
  public String toString() {
    String what = isLocalP() ? "local-p D=" + localPWindow : "mask " + mask;
    return String.format(
        "%s plan: %d sequences, %d tile tasks, %d whole sequences, block size %d, %d heads, %s",
        strategy, layouts.length, tasks.size(), wholeSequences, blockSize, numHeads, what);
  }
}
