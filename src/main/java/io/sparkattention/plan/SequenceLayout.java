package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/** One sequence's cut: tile sizes, the task id of every (head group, tile, key group), routing. */
final class SequenceLayout extends SequenceCut {
  private static final long serialVersionUID = 1L;

  private final int numTiles;
  private final int numKeyGroups;

  /**
   * Task slots per key group: 1, or 2 with global tokens (a tile's base reach and the global keys,
   * when apart, are two tasks of the group, merged in slot order).
   */
  private final int slots;

  /** Tiles holding a global query (the first ones): they reach every key their mask allows. */
  private final int globalTiles;

  /** Global tokens of the mask (positions 0 … n−1). */
  private final long globalTokens;

  /** Task id per (head group, tile, key group, slot), -1 where the mask leaves nothing to do. */
  private final int[] taskIds;

  /**
   * Per tile, the first and last key position the base mask lets any of its queries see (clipped);
   * non-decreasing in the tile index. Global tokens add keys {@code [0, n−1]} to every tile and all
   * keys to the first {@link #globalTiles} tiles.
   */
  private final long[] reachLo;

  private final long[] reachHi;

  /** Per tile, the number of tasks (over head groups and key groups) covering its queries. */
  private final int[] partsPerTile;

  private SequenceLayout(long queryLength, long keyLength, PlanOptions options, Mask mask) {
    super(queryLength, keyLength, options);
    this.numTiles = (int) ((queryLength + queryTile() - 1) / queryTile());
    this.numKeyGroups = numKeyGroups();
    this.globalTokens = Math.min(mask.globalTokens(), Math.min(queryLength, keyLength));
    this.slots = mask.globalTokens() > 0 ? 2 : 1;
    this.globalTiles = (int) ((globalTokens + queryTile() - 1) / queryTile());
    this.taskIds = new int[headGroups() * numTiles * numKeyGroups * slots];
    Arrays.fill(taskIds, -1);
    this.reachLo = new long[numTiles];
    this.reachHi = new long[numTiles];
    this.partsPerTile = new int[numTiles];
  }

  /**
   * Cuts every sequence that does not run whole ({@link PlanOptions#wholeSequences()} and at most
   * one block of queries and of keys) and appends their tasks to {@code tasks}; whole sequences get
   * null. Sequence {@code s}'s mask is the options' within its segments {@code segmentStarts[s]}
   * ({@code segmentStarts} or its entry null: one segment).
   *
   * @throws IllegalArgumentException if a sequence is empty, its segments' starts do not begin at
   *     0, increase and stay below its length, or the window strategy meets a mask without a window
   */
  static SequenceLayout[] planAll(
      long[] queryLengths,
      long[] keyLengths,
      long[][] segmentStarts,
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
    if (segmentStarts != null && segmentStarts.length != queryLengths.length) {
      throw new IllegalArgumentException(
          segmentStarts.length + " segment lists for " + queryLengths.length + " sequences");
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
      long[] starts = segmentStarts == null ? null : segmentStarts[s];
      if (starts != null && starts.length > 0 && starts[starts.length - 1] >= queryLengths[s]) {
        throw new IllegalArgumentException(
            "sequence "
                + s
                + " of length "
                + queryLengths[s]
                + " has a segment starting at "
                + starts[starts.length - 1]);
      }
      Mask mask = starts == null ? base : base.withSegments(starts); // which checks their order
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
    for (int i = 0; i < numTiles; i++) {
      long qs = i * queryTile;
      long qe = Math.min(queryLength, qs + queryTile);
      reachLo[i] = Math.max(0, base.firstKey(qs));
      reachHi[i] = Math.min(keyLength - 1, base.lastKey(qe - 1));
    }
    // per tile the key intervals its tasks cover: [lo[0], hi[0]] and [lo[1], hi[1]] (global keys)
    long[] lo = new long[2];
    long[] hi = new long[2];
    for (int hg = 0; hg < headGroups(); hg++) {
      for (int i = 0; i < numTiles; i++) {
        long qs = i * queryTile;
        long qe = Math.min(queryLength, qs + queryTile);
        intervals(i, qs, qe, mask, lo, hi);
        TileTask.Builder task = task(s, hg).queries(qs, qe);
        int made = 0;
        for (int j = 0; j < numKeyGroups; j++) {
          for (int p = 0; p < slots; p++) {
            long ks = Math.max(j * keyGroup, lo[p]);
            long ke = Math.min(Math.min(keyLength, (j + 1) * keyGroup), hi[p] + 1);
            long pairs = ks < ke ? attendedPairs(mask, qs, qe, ks, ke) : 0;
            boolean lastChance = j == numKeyGroups - 1 && p == slots - 1 && made == 0;
            if (pairs == 0 && !lastChance) {
              continue;
            }
            if (pairs == 0) {
              // No query of this tile sees any key: keep one keyless task so that every query
              // still yields its (zero) output row.
              ks = ke = 0;
            }
            int id = tasks.size();
            // the slot orders the merge: key group j's slots come after group j - 1's
            tasks.add(task.id(id).keys(ks, ke, j * slots + p, pairs).build());
            taskIds[((hg * numTiles + i) * numKeyGroups + j) * slots + p] = id;
            made++;
          }
        }
        partsPerTile[i] += made;
      }
    }
  }

  /**
   * Tile {@code i}'s key intervals, disjoint: a tile with a global query reaches every key its mask
   * allows ({@code [0, hi]}); another its base reach and, apart from it, the global keys. An
   * interval with {@code lo > hi} is empty.
   */
  private void intervals(int i, long qs, long qe, Mask mask, long[] lo, long[] hi) {
    lo[0] = reachLo[i];
    hi[0] = reachHi[i];
    lo[1] = 0;
    hi[1] = -1;
    if (i < globalTiles) {
      lo[0] = 0;
      long lastGlobal = Math.min(qe, globalTokens) - 1;
      hi[0] = Math.max(reachHi[i], Math.min(keyLength() - 1, mask.lastKey(lastGlobal)));
    } else if (globalTokens > 0) {
      long g = Math.min(keyLength(), globalTokens) - 1;
      if (lo[0] > hi[0]) {
        lo[0] = 0; // no base reach: the global keys only
        hi[0] = g;
      } else if (lo[0] <= g + 1) {
        lo[0] = 0; // the global keys meet the base reach: one interval
        hi[0] = Math.max(hi[0], g);
      } else {
        hi[1] = g;
      }
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
    long pairs = ks < ke ? attendedPairs(mask, 0, queryLength, ks, ke) : 0;
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
    if (mask.globalTokens() > 0) {
      // a global query may reach further than the last query; every query reaches key 0
      hi = Math.max(hi, mask.lastKey(Math.min(queryLength, mask.globalTokens()) - 1));
      hi = Math.max(hi, mask.globalLastKey(queryLength - 1));
    }
    return new long[] {Math.max(0, mask.firstKey(0)), Math.min(keyLength - 1, hi)};
  }

  /**
   * Number of (q, k) with q in [qs, qe), k in [ks, ke) that the mask allows, in O(1): nothing on
   * the driver may cost per token (issue 13). Per query the count is g(q) = hi(q) − lo(q) + 1,
   * clipped at 0, with hi(q) = min(ke − 1, lastKey(q)) and lo(q) = max(ks, firstKey(q)); each has
   * one kink, so g is linear with slope −1, 0 or 1 between the kinks, and each piece sums as an
   * arithmetic series of its positive terms. Cross-checked against the plain loop in the tests.
   */
  static long attendedPairs(Mask mask, long qs, long qe, long ks, long ke) {
    if (qs >= qe || ks >= ke) {
      return 0;
    }
    long n = mask.globalTokens();
    if (n > 0) {
      // global queries [qs, min(qe, n)): every key, or with a causal mask those at or before them
      Mask base = mask.withoutGlobalTokens();
      long qg = Math.min(qe, Math.max(qs, n));
      long pairs = attendedPairs(base.withoutWindow(), qs, qg, ks, ke);
      // the others: their base interval ∪ the global keys [ks, min(ke, n)) (all before them)
      long ge = Math.min(ke, n);
      if (qg < qe) {
        pairs += attendedPairs(base, qg, qe, ks, ke);
        if (ks < ge) {
          pairs += (qe - qg) * (ge - ks) - attendedPairs(base, qg, qe, ks, ge);
        }
      }
      return pairs;
    }
    if (mask.hasSegments()) {
      // within a segment the segments are no constraint: sum the whole mask's pairs per segment
      Mask whole = mask.withoutSegments();
      long pairs = 0;
      for (int i = mask.segmentOf(qs), last = mask.segmentOf(qe - 1); i <= last; i++) {
        long lo = mask.segmentStart(i);
        long end = mask.segmentEnd(i);
        pairs +=
            attendedPairs(
                whole, Math.max(qs, lo), Math.min(qe, end), Math.max(ks, lo), Math.min(ke, end));
      }
      return pairs;
    }
    // lastKey(q) = q + c and firstKey(q) = q − w, or unbounded (no kink within reach)
    long hiKink = clamp(ke - 1 - (mask.lastKey(0)), qs, qe);
    long loKink = clamp(ks - mask.firstKey(0), qs, qe);
    long[] cuts = {qs, Math.min(hiKink, loKink), Math.max(hiKink, loKink), qe};
    long pairs = 0;
    for (int i = 0; i + 1 < cuts.length; i++) {
      pairs += positiveSum(mask, cuts[i], cuts[i + 1], ks, ke);
    }
    return pairs;
  }

  /** The plain loop {@link #attendedPairs} must equal (for the tests). */
  static long attendedPairsByLoop(Mask mask, long qs, long qe, long ks, long ke) {
    long pairs = 0;
    for (long q = qs; q < qe; q++) {
      for (long k = ks; k < ke; k++) {
        pairs += mask.allows(q, k) ? 1 : 0;
      }
    }
    return pairs;
  }

  private static long clamp(long x, long lo, long hi) {
    return Math.max(lo, Math.min(hi, x));
  }

  /** g(q) unclipped: keys query q may see among [ks, ke), minus nothing (may be ≤ 0). */
  private static long keysSeen(Mask mask, long q, long ks, long ke) {
    return Math.min(ke - 1, mask.lastKey(q)) - Math.max(ks, mask.firstKey(q)) + 1;
  }

  /** Σ max(0, g(q)) over q in [a, b), g linear there with slope −1, 0 or 1. */
  private static long positiveSum(Mask mask, long a, long b, long ks, long ke) {
    long n = b - a;
    if (n <= 0) {
      return 0;
    }
    long g0 = keysSeen(mask, a, ks, ke);
    long slope = n == 1 ? 0 : keysSeen(mask, a + 1, ks, ke) - g0;
    long first;
    long count;
    if (slope == 0) {
      return g0 > 0 ? g0 * n : 0;
    } else if (slope > 0) {
      long skip = Math.max(0, 1 - g0); // terms still ≤ 0
      if (skip >= n) {
        return 0;
      }
      first = g0 + skip;
      count = n - skip;
      return (first + first + count - 1) * count / 2;
    } else {
      count = Math.min(n, Math.max(0, g0));
      return (g0 + g0 - count + 1) * count / 2;
    }
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
    // tiles with a global query reach every key; every tile reaches the global keys
    int end = pos < globalTokens ? numTiles : globalTiles;
    for (int i = 0; i < end; i++) {
      acceptTile(i, j, pos, sink, tasks);
    }
    // reachLo and reachHi grow with the tile index: the tiles that reach pos are a contiguous run.
    int first = Math.max(end, firstTileWithReachHiAtLeast(pos));
    for (int i = first; i < numTiles && reachLo[i] <= pos; i++) {
      acceptTile(i, j, pos, sink, tasks);
    }
  }

  /** Calls {@code sink} with tile {@code i}'s tasks of key group {@code j} holding key pos. */
  private void acceptTile(int i, int j, long pos, IntConsumer sink, List<TileTask> tasks) {
    for (int hg = 0; hg < headGroups(); hg++) {
      for (int p = 0; p < slots; p++) {
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
