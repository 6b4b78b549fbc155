package io.sparkattention.plan;

import io.sparkattention.kernel.GlobalTokens;
import io.sparkattention.kernel.Mask;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntConsumer;

/** One sequence's cut: tile sizes, the task id of every (head group, tile, key group), routing. */
final class SequenceLayout extends SequenceCut {
  private static final long serialVersionUID = 1L;

  private final int numTiles;
  private final int numKeyGroups;

  /**
   * Task slots per key group: 1, or 3 with global tokens: a tile's reach (its base reach, grown
   * over the runs of global keys it meets) and, apart from it, the key group's global keys gathered
   * before it and after it; merged in slot order.
   */
  private final int slots;

  /** The sequence's mask: its global tokens route the keys. */
  private final Mask mask;

  /** Tiles holding a global query: they reach every key their mask allows. */
  private final BitSet globalTiles = new BitSet();

  /** Task id per (head group, tile, key group, slot), -1 where the mask leaves nothing to do. */
  private final int[] taskIds;

  /**
   * Per tile, the first and last key position the base mask lets any of its queries see (clipped);
   * non-decreasing in the tile index. Global tokens add their keys to every tile and all keys to
   * the {@link #globalTiles}.
   */
  private final long[] reachLo;

  private final long[] reachHi;

  /** Per tile, the number of tasks (over head groups and key groups) covering its queries. */
  private final int[] partsPerTile;

  private SequenceLayout(long queryLength, long keyLength, PlanOptions options, Mask mask) {
    super(queryLength, keyLength, options, mask.hasGlobalTokens());
    this.numTiles = (int) ((queryLength + queryTile() - 1) / queryTile());
    this.numKeyGroups = numKeyGroups();
    this.mask = mask;
    this.slots = mask.hasGlobalTokens() ? 3 : 1;
    this.taskIds = new int[headGroups() * numTiles * numKeyGroups * slots];
    Arrays.fill(taskIds, -1);
    this.reachLo = new long[numTiles];
    this.reachHi = new long[numTiles];
    this.partsPerTile = new int[numTiles];
  }

  /**
   * Cuts every sequence that does not run whole ({@link PlanOptions#wholeSequences()} and at most
   * one block of queries and of keys) and appends their tasks to {@code tasks}; whole sequences get
   * null. Sequence {@code s}'s mask is the options' with its {@code masks} (null: the options' for
   * every sequence).
   *
   * @throws IllegalArgumentException if a sequence is empty, its segments' starts do not begin at
   *     0, increase and stay below its length, its global positions do not increase and stay below
   *     it, or the window strategy meets a mask without a window
   */
  static SequenceLayout[] planAll(
      long[] queryLengths,
      long[] keyLengths,
      SequenceMasks masks,
      PlanOptions options,
      List<TileTask> tasks) {
    Mask base = options.mask();
    if (options.strategy() == Strategy.WINDOW
        && base.kind() != Mask.Kind.WINDOW
        && base.kind() != Mask.Kind.CAUSAL_WINDOW) {
      throw new IllegalArgumentException(
          "strategy 'window' needs a windowed mask (local attention, or causal with a window), got "
              + base);
    }
    if (masks != null && masks.size() != queryLengths.length) {
      throw new IllegalArgumentException(
          masks.size() + " sequence masks for " + queryLengths.length + " sequences");
    }
    SequenceLayout[] layouts = new SequenceLayout[queryLengths.length];
    long b = options.blockSize();
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
      Mask mask = base;
      if (masks != null) {
        masks.check(s, queryLengths[s]);
        mask = masks.apply(base, s); // which checks their order
      }
      if (!(options.wholeSequences() && queryLengths[s] <= b && keyLengths[s] <= b)) {
        layouts[s] = SequenceLayout.plan(s, queryLengths[s], keyLengths[s], mask, options, tasks);
      }
    }
    return layouts;
  }

  /** Cuts sequence {@code s} and appends its tasks to {@code tasks} (ids continue from there). */
  static SequenceLayout plan(
      int s,
      long queryLength,
      long keyLength,
      Mask mask,
      PlanOptions options,
      List<TileTask> tasks) {
    SequenceLayout layout = new SequenceLayout(queryLength, keyLength, options, mask);
    layout.addTasks(s, mask, tasks);
    return layout;
  }

  private void addTasks(int s, Mask mask, List<TileTask> tasks) {
    long queryLength = queryLength();
    long keyLength = keyLength();
    long queryTile = queryTile();
    long keyGroup = keyGroup();
    Mask base = mask.withoutGlobalTokens();
    GlobalTokens g = mask.globals();
    for (int i = 0; i < numTiles; i++) {
      long qs = i * queryTile;
      long qe = Math.min(queryLength, qs + queryTile);
      reachLo[i] = Math.max(0, base.firstKey(qs));
      reachHi[i] = Math.min(keyLength - 1, base.lastKey(qe - 1));
      if (g != null) {
        long next = g.next(qs);
        globalTiles.set(i, next >= 0 && next < qe);
      }
    }
    // per tile and key group the key intervals its tasks cover (slot p: [lo[p], hi[p]]; slots 1
    // and 2 gathered, the global keys only)
    long[] lo = new long[3];
    long[] hi = new long[3];
    for (int hg = 0; hg < headGroups(); hg++) {
      for (int i = 0; i < numTiles; i++) {
        long qs = i * queryTile;
        long qe = Math.min(queryLength, qs + queryTile);
        TileTask.Builder task = task(s, hg).queries(qs, qe);
        int made = 0;
        for (int j = 0; j < numKeyGroups; j++) {
          long gs = j * keyGroup;
          long ge = Math.min(keyLength, gs + keyGroup);
          intervals(i, qs, qe, gs, ge, lo, hi);
          for (int p = 0; p < slots; p++) {
            long ks = Math.max(gs, lo[p]);
            long ke = Math.min(ge, hi[p] + 1);
            long gathered = -1;
            if (p > 0 && ks < ke) {
              // only the global keys: from the first to the last of them in [ks, ke)
              ks = g.next(ks);
              ke = ks < 0 || ks >= ke ? ks : g.previous(ke - 1) + 1;
              gathered = ks < 0 || ks >= ke ? 0 : g.countIn(ks, ke);
            }
            long pairs = ks >= 0 && ks < ke ? MaskPairs.count(mask, qs, qe, ks, ke) : 0;
            boolean lastChance = j == numKeyGroups - 1 && p == slots - 1 && made == 0;
            if (pairs == 0 && !lastChance) {
              continue;
            }
            if (pairs == 0) {
              // No query of this tile sees any key: keep one keyless task so that every query
              // still yields its (zero) output row.
              ks = ke = 0;
              gathered = -1;
            }
            int id = tasks.size();
            // the slot orders the merge: key group j's slots come after group j - 1's
            task.id(id).keys(ks, ke, j * slots + p, pairs);
            if (gathered >= 0) {
              task.gatheredKeys(gathered);
            }
            tasks.add(task.build());
            taskIds[((hg * numTiles + i) * numKeyGroups + j) * slots + p] = id;
            made++;
          }
        }
        partsPerTile[i] += made;
      }
    }
  }

  /**
   * Tile {@code i}'s key intervals within key group {@code [gs, ge)}, disjoint, slot by slot: a
   * tile with a global query reaches every key its mask allows ({@code [0, hi]}, slot 0); another
   * its base reach grown over the runs of global keys it meets (slot 0), and the group's global
   * keys before it (slot 1) and after it (slot 2), which the plan gathers. With segments a global
   * query reaches only its own segment: such a tile's slot 0 is its base reach joined with its
   * global queries' segments, and the global keys of other segments beyond it, seen by its other
   * queries, are gathered as for a tile without a global query. An interval with {@code lo > hi} is
   * empty.
   */
  private void intervals(int i, long qs, long qe, long gs, long ge, long[] lo, long[] hi) {
    lo[0] = reachLo[i];
    hi[0] = reachHi[i];
    for (int p = 1; p < 3; p++) {
      lo[p] = 0;
      hi[p] = -1;
    }
    GlobalTokens g = mask.globals();
    if (g == null) {
      return;
    }
    if (globalTiles.get(i)) {
      long lastGlobal = g.previous(qe - 1);
      hi[0] = Math.max(reachHi[i], Math.min(keyLength() - 1, mask.lastKey(lastGlobal)));
      if (!mask.hasSegments()) {
        lo[0] = 0; // every key (causal: those before the last global query)
        return;
      }
      // the global queries' segments (firstKey and lastKey grow with the position)
      lo[0] = Math.min(lo[0], Math.max(0, mask.firstKey(g.next(qs))));
    }
    if (lo[0] > hi[0]) {
      lo[1] = gs; // no base reach: the group's global keys only
      hi[1] = ge - 1;
    } else {
      lo[0] = g.contains(lo[0] - 1) ? g.runFirst(lo[0] - 1) : lo[0];
      hi[0] = g.contains(hi[0] + 1) ? Math.min(keyLength() - 1, g.runLast(hi[0] + 1)) : hi[0];
      lo[1] = gs;
      hi[1] = Math.min(ge, lo[0]) - 1;
      lo[2] = Math.max(gs, hi[0] + 1);
      hi[2] = ge - 1;
    }
  }

  /**
   * The one task of a sequence that runs whole ({@link AttentionPlan#isWhole}): every query and
   * head, and the keys its queries may reach, exactly as a single tile's one key group would hold
   * them (so the kernel folds the same key block and every bit matches the tiled path); a keyless
   * task if no query sees a key.
   */
  static TileTask wholeTask(
      int id, int s, long queryLength, long keyLength, Mask mask, int numHeads) {
    long[] reach = reach(queryLength, keyLength, mask);
    long ks = reach[0];
    long ke = reach[1] + 1;
    long pairs = ks < ke ? MaskPairs.count(mask, 0, queryLength, ks, ke) : 0;
    if (pairs == 0) {
      ks = ke = 0;
    }
    return TileTask.builder()
        .id(id)
        .sequence(s)
        .headGroup(0, numHeads)
        .queries(0, queryLength)
        .keys(ks, ke, 0, pairs)
        .build();
  }

  /**
   * The first and last key (clipped to the keys) that any of a one-tile sequence's queries may see,
   * as {@link #addTasks} clips a tile's keys.
   */
  static long[] reach(long queryLength, long keyLength, Mask mask) {
    long hi = mask.lastKey(queryLength - 1);
    if (mask.hasGlobalTokens()) {
      // a global query may reach further than the last query; every query reaches the global keys
      long lastGlobal = mask.globals().previous(queryLength - 1);
      if (lastGlobal >= 0) {
        hi = Math.max(hi, mask.lastKey(lastGlobal));
      }
      hi = Math.max(hi, mask.globalLastKey(queryLength - 1));
    }
    return new long[] {Math.max(0, mask.firstKey(0)), Math.min(keyLength - 1, hi)};
  }

  @Override
  int partsPerQuery(TileTask t) {
    return partsPerTile[(int) (t.qStart() / queryTile())];
  }

  @Override
  void forEachQueryTask(long pos, double centre, IntConsumer sink) {
    checkQuery(pos);
    int i = (int) (pos / queryTile());
    int perTile = numKeyGroups * slots;
    for (int hg = 0; hg < headGroups(); hg++) {
      int base = (hg * numTiles + i) * perTile;
      for (int j = 0; j < perTile; j++) {
        int id = taskIds[base + j];
        if (id >= 0) {
          sink.accept(id);
        }
      }
    }
  }

  @Override
  void forEachKeyTask(long pos, IntConsumer sink, List<TileTask> tasks) {
    checkKey(pos);
    int j = (int) (pos / keyGroup());
    if (mask.isGlobal(pos)) {
      // every tile reaches the global keys (in its reach or gathered)
      for (int i = 0; i < numTiles; i++) {
        acceptTile(i, j, pos, sink, tasks);
      }
      return;
    }
    // tiles with a global query reach every key (with segments, those of their global queries'
    // segments): in slot 0, the others gather global keys only
    for (int i = globalTiles.nextSetBit(0); i >= 0; i = globalTiles.nextSetBit(i + 1)) {
      acceptTile(i, j, pos, 1, sink, tasks);
    }
    // reachLo and reachHi grow with the tile index: the tiles that reach pos are a contiguous run.
    for (int i = firstTileWithReachHiAtLeast(pos); i < numTiles && reachLo[i] <= pos; i++) {
      if (!globalTiles.get(i)) {
        acceptTile(i, j, pos, slots, sink, tasks);
      }
    }
  }

  /** Calls {@code sink} with tile {@code i}'s tasks of key group {@code j} holding key pos. */
  private void acceptTile(int i, int j, long pos, IntConsumer sink, List<TileTask> tasks) {
    acceptTile(i, j, pos, slots, sink, tasks);
  }

  /** As the other, among the first {@code upToSlot} slots only. */
  private void acceptTile(
      int i, int j, long pos, int upToSlot, IntConsumer sink, List<TileTask> tasks) {
    for (int hg = 0; hg < headGroups(); hg++) {
      for (int p = 0; p < upToSlot; p++) {
        int id = taskIds[((hg * numTiles + i) * numKeyGroups + j) * slots + p];
        if (id >= 0) {
          acceptIfHoldsKey(tasks, id, pos, sink);
        }
      }
    }
  }

  private int firstTileWithReachHiAtLeast(long pos) {
    int lo = 0;
    int hi = numTiles;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (reachHi[mid] >= pos) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
