package io.sparkattention.plan;

import java.io.Serializable;

/**
 * One unit of distributed attention work: queries {@code [qStart, qEnd)} of one sequence attend,
 * for the heads {@code [headStart, headEnd)}, to keys {@code [kStart, kEnd)}. When a query's keys
 * are spread over several tasks, {@code keyGroup} orders their partial states for the canonical
 * merge.
 *
 * @param id global task id, dense from 0
 * @param seqIndex the sequence's index in the plan
 * @param headGroup index of the head group (0 unless split by heads)
 * @param headStart first head of the group
 * @param headEnd one past the last head
 * @param qStart first query position
 * @param qEnd one past the last query position
 * @param kStart first key position
 * @param kEnd one past the last key position
 * @param keyGroup index of the key group within the query tile's key range (merge order)
 * @param attendedPairs number of (query, key) pairs the mask allows: the work estimate
 */
public record TileTask(
    int id,
    int seqIndex,
    int headGroup,
    int headStart,
    int headEnd,
    long qStart,
    long qEnd,
    long kStart,
    long kEnd,
    int keyGroup,
    long attendedPairs)
    implements Serializable {

  public long queryCount() {
    return qEnd - qStart;
  }

  public long keyCount() {
    return kEnd - kStart;
  }

  public int headCount() {
    return headEnd - headStart;
  }
}
