package io.sparkattention.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * One sequence's local-p cut. Its query tiles are ranges of predicted centres, not of positions:
 * consecutive centre blocks are gathered into a tile while it holds at most {@code queryTile}
 * queries; a centre block with more queries than that (many centres close together) becomes one
 * tile per position chunk. A tile's keys are the hull of its queries' windows, cut at key-group
 * boundaries ({@code j·keyGroup}) into tasks whose partial states merge by log-sum-exp. So a query
 * goes to the one or two tasks near its centre and a key to the tiles whose windows reach it: work
 * and shuffle O(n·D), whatever the order of the centres.
 */
final class LocalPLayout extends SequenceCut {
  private static final long serialVersionUID = 1L;

  /** {@link #tileOfBlock} value of a centre block cut by position chunks. */
  private static final int SPLIT = -2;

  private final int blockSize;
  private final long chunkRows;

  /** Per centre block its tile, {@link #SPLIT}, or -1 (no query). */
  private final int[] tileOfBlock;

  /** Tiles of split centre blocks by {@link LocalPCells#cellKey}. */
  private final Map<Long, Integer> splitTiles = new HashMap<>();

  /** Per tile, its task ids (head group major, then key group). */
  private int[][] tileTasks;

  /** Per key group, the ids of the tasks holding any of its keys, ascending. */
  private int[][] groupTasks;

  /** Per task (id − first id), its tile. */
  private int[] tileOfTask;

  private int firstTask;

  private LocalPLayout(long length, PlanOptions options, long chunkRows) {
    super(length, length, options, false);
    this.blockSize = options.blockSize();
    this.chunkRows = chunkRows;
    this.tileOfBlock = new int[(int) ((length - 1) / blockSize + 1)];
    Arrays.fill(tileOfBlock, -1);
  }

  /** A tile under construction: whole cells. */
  private static final class Tile {
    final List<LocalPCells.Cell> cells = new ArrayList<>();
    long count;

    void add(LocalPCells.Cell c) {
      cells.add(c);
      count += c.count;
    }
  }

  /**
   * Cuts every sequence by its queries' centres ({@link AttentionPlan#createLocalP}) and appends
   * the tasks to {@code tasks}.
   *
   * @throws IllegalArgumentException if the cells do not match the lengths and options, or a
   *     sequence is empty
   */
  static SequenceCut[] planAll(
      long[] lengths, PlanOptions options, LocalPCells cells, List<TileTask> tasks) {
    Strategy strategy = options.strategy();
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
    // SequenceCut[]: the plan ships this array, and Kryo registers its runtime type
    SequenceCut[] layouts = new SequenceCut[lengths.length];
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
    return layouts;
  }

  /**
   * Cuts sequence {@code s} of length {@code n} and appends its tasks to {@code tasks}. The tiles
   * hold at most {@link #queryTile()} queries: the cells' chunk rows, which {@link #planAll} checks
   * are the options' query tile rows (single: one tile).
   */
  static LocalPLayout plan(
      int s, long n, PlanOptions options, LocalPCells cells, List<TileTask> tasks) {
    LocalPLayout layout = new LocalPLayout(n, options, cells.chunkRows());
    List<Tile> tiles = layout.cutTiles(cells.sorted(s), options.strategy() == Strategy.SINGLE);
    layout.addTasks(s, tiles, tasks);
    return layout;
  }

  /** Gathers the cells (sorted by centre block, then chunk) into tiles; fills the lookups. */
  private List<Tile> cutTiles(List<LocalPCells.Cell> cells, boolean single) {
    long queryTile = queryTile();
    List<Tile> tiles = new ArrayList<>();
    Tile current = new Tile();
    int i = 0;
    while (i < cells.size()) {
      long block = cells.get(i).centreBlock;
      int end = i;
      long blockCount = 0;
      while (end < cells.size() && cells.get(end).centreBlock == block) {
        blockCount += cells.get(end).count;
        end++;
      }
      if (single || blockCount <= queryTile) {
        if (!single && current.count + blockCount > queryTile) {
          tiles.add(current);
          current = new Tile();
        }
        for (int c = i; c < end; c++) {
          current.add(cells.get(c));
        }
        tileOfBlock[(int) block] = tiles.size();
      } else {
        // More queries centred in this block than a tile holds: one tile per position chunk,
        // each at most chunkRows queries.
        if (current.count > 0) {
          tiles.add(current);
          current = new Tile();
        }
        tileOfBlock[(int) block] = SPLIT;
        for (int c = i; c < end; c++) {
          Tile t = new Tile();
          t.add(cells.get(c));
          splitTiles.put(LocalPCells.cellKey(block, cells.get(c).chunk), tiles.size());
          tiles.add(t);
        }
      }
      i = end;
    }
    if (current.count > 0) {
      tiles.add(current);
    }
    return tiles;
  }

  private void addTasks(int s, List<Tile> tiles, List<TileTask> tasks) {
    firstTask = tasks.size();
    int numGroups = numKeyGroups();
    List<List<Integer>> byGroup = new ArrayList<>();
    for (int j = 0; j < numGroups; j++) {
      byGroup.add(new ArrayList<>());
    }
    List<Integer> owner = new ArrayList<>();
    tileTasks = new int[tiles.size()][];
    for (int i = 0; i < tiles.size(); i++) {
      Tile tile = tiles.get(i);
      long minPos = Long.MAX_VALUE;
      long maxPos = -1;
      long lo = Long.MAX_VALUE;
      long hi = -1;
      for (LocalPCells.Cell c : tile.cells) {
        minPos = Math.min(minPos, c.minPos);
        maxPos = Math.max(maxPos, c.maxPos);
        if (c.minLo <= c.maxHi) {
          lo = Math.min(lo, c.minLo);
          hi = Math.max(hi, c.maxHi);
        }
      }
      List<long[]> spans = groupSpans(tile, lo, hi);
      List<Integer> ids = new ArrayList<>();
      for (int hg = 0; hg < headGroups(); hg++) {
        TileTask.Builder task = task(s, hg).queries(minPos, maxPos + 1).queryCount(tile.count);
        if (spans.isEmpty()) {
          // No query of the tile sees a key: one keyless task so each still gets its zero row.
          ids.add(tasks.size());
          owner.add(i);
          tasks.add(task.id(tasks.size()).keys(0, 0, 0, 0).build());
        }
        for (long[] span : spans) {
          int id = tasks.size();
          ids.add(id);
          owner.add(i);
          byGroup.get((int) span[0]).add(id);
          tasks.add(task.id(id).keys(span[1], span[2], (int) span[0], span[3]).build());
        }
      }
      tileTasks[i] = ids.stream().mapToInt(Integer::intValue).toArray();
    }
    groupTasks = new int[numGroups][];
    for (int j = 0; j < numGroups; j++) {
      groupTasks[j] = byGroup.get(j).stream().mapToInt(Integer::intValue).toArray();
    }
    tileOfTask = owner.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The tile's tasks before head groups: per key group j its windows touch, {j, kStart, kEnd,
   * pairs}. The keys are the hull of the touching cells' windows within the group; the pairs share
   * out each cell's exact total by how much of its window hull lies in the group (exact when the
   * tile's keys fit one group), rounded so that the tile's total stays exact.
   */
  private List<long[]> groupSpans(Tile tile, long lo, long hi) {
    long length = queryLength();
    long keyGroup = keyGroup();
    List<long[]> spans = new ArrayList<>();
    if (lo > hi) {
      return spans;
    }
    double cumulative = 0;
    long given = 0;
    for (long j = lo / keyGroup; j <= hi / keyGroup; j++) {
      long g0 = j * keyGroup;
      long g1 = Math.min(length, g0 + keyGroup) - 1;
      long ks = Long.MAX_VALUE;
      long ke = -1;
      for (LocalPCells.Cell c : tile.cells) {
        long a = Math.max(g0, c.minLo);
        long z = Math.min(g1, c.maxHi);
        if (a <= z) {
          ks = Math.min(ks, a);
          ke = Math.max(ke, z + 1);
          cumulative += c.pairs * (double) (z - a + 1) / (c.maxHi - c.minLo + 1);
        }
      }
      if (ke < 0) {
        continue; // a gap between the cells' windows
      }
      long upTo = Math.round(cumulative);
      spans.add(new long[] {j, ks, ke, upTo - given});
      given = upTo;
    }
    return spans;
  }

  /** The tile of a query at {@code pos} with centre {@code centre}. */
  private int tileOf(long pos, double centre) {
    long block = LocalPCells.centreBlock(centre, blockSize, queryLength());
    int tile = tileOfBlock[(int) block];
    if (tile == SPLIT) {
      Integer t = splitTiles.get(LocalPCells.cellKey(block, pos / chunkRows));
      tile = t == null ? -1 : t;
    }
    if (tile < 0) {
      throw new IllegalStateException(
          "query at pos "
              + pos
              + " with centre "
              + centre
              + " is in no tile: its centre differs from the one planned with");
    }
    return tile;
  }

  @Override
  int partsPerQuery(TileTask t) {
    return tileTasks[tileOfTask[t.id() - firstTask]].length;
  }

  @Override
  void forEachQueryTask(long pos, double centre, IntConsumer sink) {
    checkQuery(pos);
    for (int id : tileTasks[tileOf(pos, centre)]) {
      sink.accept(id);
    }
  }

  @Override
  void forEachKeyTask(long pos, IntConsumer sink, List<TileTask> tasks) {
    checkKey(pos);
    for (int id : groupTasks[(int) (pos / keyGroup())]) {
      acceptIfHoldsKey(tasks, id, pos, sink);
    }
  }
}
