package io.sparkattention.plan;

import java.io.Serializable;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One sequence's share of an {@link AttentionPlan}: its sizes, and which of the plan's tasks each
 * query and key goes to. {@link SequenceLayout} cuts by positions (masks); {@link LocalPLayout} by
 * local-p centres. Both size their query tiles, key groups and head groups here, from the same
 * options, so a strategy means the same sizes whatever cuts the queries.
 */
abstract class SequenceCut implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long queryLength;
  private final long keyLength;
  private final long queryTile;
  private final long keyGroup;
  private final int headGroups;
  private final int headsPerGroup;

  /**
   * Sizes the cut of {@code queryLength} queries over {@code keyLength} keys: single keeps the
   * sequence whole; the others cut query tiles of {@code queryTileBlocks·blockSize} rows; blocks
   * and heads also cut key groups of {@code keyTileBlocks·blockSize} rows (window keeps one key
   * group, clipped per tile to its reach, unless the sequence has global tokens: their queries'
   * tiles reach every key, so key groups as blocks keep their tasks bounded); heads makes one head
   * group per head.
   */
  SequenceCut(long queryLength, long keyLength, PlanOptions options, boolean globalTokens) {
    Strategy strategy = options.strategy();
    long b = options.blockSize();
    this.queryLength = queryLength;
    this.keyLength = keyLength;
    this.queryTile =
        strategy == Strategy.SINGLE
            ? queryLength
            : Math.min(queryLength, b * options.queryTileBlocks());
    this.keyGroup =
        strategy == Strategy.SINGLE || (strategy == Strategy.WINDOW && !globalTokens)
            ? keyLength
            : Math.min(keyLength, b * options.keyTileBlocks());
    // grouped-query attention: a task holds a whole group (a key/value head and its query heads)
    this.headGroups = strategy == Strategy.HEADS ? options.kvHeads() : 1;
    this.headsPerGroup = options.numHeads() / headGroups;
  }

  final long queryLength() {
    return queryLength;
  }

  final long keyLength() {
    return keyLength;
  }

  /** Most query rows of one tile. */
  final long queryTile() {
    return queryTile;
  }

  /** Rows of one key group. */
  final long keyGroup() {
    return keyGroup;
  }

  final int headGroups() {
    return headGroups;
  }

  /** Number of key groups: {@code ceil(keyLength / keyGroup)}. */
  final int numKeyGroups() {
    return (int) ((keyLength + keyGroup - 1) / keyGroup);
  }

  /** A task of sequence {@code s} and head group {@code hg}, to be given its id, queries, keys. */
  final TileTask.Builder task(int s, int hg) {
    return TileTask.builder().sequence(s).headGroup(hg, headsPerGroup);
  }

  /** How many partial states each query of task {@code t}'s tile receives. */
  abstract int partsPerQuery(TileTask t);

  /**
   * Calls {@code sink} with every task needing query {@code pos}; {@code centre} is its local-p
   * centre (ignored by position cuts).
   */
  abstract void forEachQueryTask(long pos, double centre, IntConsumer sink);

  /** Calls {@code sink} with every task needing key {@code pos}. */
  abstract void forEachKeyTask(long pos, IntConsumer sink, List<TileTask> tasks);

  /** Calls {@code sink} with task {@code id} if it holds key {@code pos}. */
  static void acceptIfHoldsKey(List<TileTask> tasks, int id, long pos, IntConsumer sink) {
    TileTask t = tasks.get(id);
    if (pos >= t.kStart() && pos < t.kEnd()) {
      sink.accept(id);
    }
  }

  final void checkQuery(long pos) {
    checkPos(pos, queryLength, "query");
  }

  final void checkKey(long pos) {
    checkPos(pos, keyLength, "key");
  }

  static void checkPos(long pos, long length, String what) {
    if (pos < 0 || pos >= length) {
      throw new IllegalArgumentException(
          what + " position " + pos + " is outside 0.." + (length - 1));
    }
  }
}
