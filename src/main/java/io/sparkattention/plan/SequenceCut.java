package io.sparkattention.plan;

import java.io.Serializable;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One sequence's share of an {@link AttentionPlan}: its sizes, and which of the plan's tasks each
 * query and key goes to. {@link SequenceLayout} cuts by positions (masks); {@link LocalPLayout} by
 * local-p centres.
 */
interface SequenceCut extends Serializable {
  long queryLength();

  long keyLength();

  /** Most query rows of one tile. */
  long queryTile();

  /** Rows of one key group. */
  long keyGroup();

  int headGroups();

  /** How many partial states each query of task {@code t}'s tile receives. */
  int partsPerQuery(TileTask t);

  /**
   * Calls {@code sink} with every task needing query {@code pos}; {@code centre} is its local-p
   * centre (ignored by position cuts).
   */
  void forEachQueryTask(long pos, double centre, IntConsumer sink);

  /** Calls {@code sink} with every task needing key {@code pos}. */
  void forEachKeyTask(long pos, IntConsumer sink, List<TileTask> tasks);
}
