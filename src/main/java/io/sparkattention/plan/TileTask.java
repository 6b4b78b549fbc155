package io.sparkattention.plan;

import java.io.Serializable;

/**
 * One unit of distributed attention work: queries {@code [qStart, qEnd)} of one sequence attend,
 * for the heads {@code [headStart, headEnd)}, to keys {@code [kStart, kEnd)}. When a query's keys
 * are spread over several tasks, {@code keyGroup} orders their partial states for the canonical
 * merge.
 *
 * <p>A local-p task's queries are those whose predicted centres fall in its tile: {@link
 * #queryCount()} of them, at positions somewhere in {@code [qStart, qEnd)}.
 */
public final class TileTask implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int id;
  private final int seqIndex;
  private final int headGroup;
  private final int headStart;
  private final int headEnd;
  private final long qStart;
  private final long qEnd;
  private final long kStart;
  private final long kEnd;
  private final int keyGroup;
  private final long attendedPairs;
  private final long queryRows;

  /**
   * A task.
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
  public TileTask(
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
      long attendedPairs) {
    this(
        id,
        seqIndex,
        headGroup,
        headStart,
        headEnd,
        qStart,
        qEnd,
        kStart,
        kEnd,
        keyGroup,
        attendedPairs,
        qEnd - qStart);
  }

  /**
   * A task whose {@code queryRows} queries lie somewhere in {@code [qStart, qEnd)} (local-p);
   * otherwise as {@link #TileTask(int, int, int, int, int, long, long, long, long, int, long)}.
   */
  public TileTask(
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
      long attendedPairs,
      long queryRows) {
    if (queryRows < 0 || queryRows > qEnd - qStart) {
      throw new IllegalArgumentException(
          queryRows + " query rows do not fit positions [" + qStart + ", " + qEnd + ")");
    }
    this.queryRows = queryRows;
    this.id = id;
    this.seqIndex = seqIndex;
    this.headGroup = headGroup;
    this.headStart = headStart;
    this.headEnd = headEnd;
    this.qStart = qStart;
    this.qEnd = qEnd;
    this.kStart = kStart;
    this.kEnd = kEnd;
    this.keyGroup = keyGroup;
    this.attendedPairs = attendedPairs;
  }

  public int id() {
    return id;
  }

  public int seqIndex() {
    return seqIndex;
  }

  public int headGroup() {
    return headGroup;
  }

  public int headStart() {
    return headStart;
  }

  public int headEnd() {
    return headEnd;
  }

  public long qStart() {
    return qStart;
  }

  public long qEnd() {
    return qEnd;
  }

  public long kStart() {
    return kStart;
  }

  public long kEnd() {
    return kEnd;
  }

  public int keyGroup() {
    return keyGroup;
  }

  public long attendedPairs() {
    return attendedPairs;
  }

  /** The number of queries the task holds: {@code qEnd − qStart} unless a local-p tile. */
  public long queryCount() {
    return queryRows;
  }

  /** Whether the task's queries are every position of {@code [qStart, qEnd)}. */
  public boolean contiguousQueries() {
    return queryRows == qEnd - qStart;
  }

  public long keyCount() {
    return kEnd - kStart;
  }

  public int headCount() {
    return headEnd - headStart;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TileTask)) {
      return false;
    }
    TileTask t = (TileTask) o;
    return id == t.id
        && seqIndex == t.seqIndex
        && headGroup == t.headGroup
        && headStart == t.headStart
        && headEnd == t.headEnd
        && qStart == t.qStart
        && qEnd == t.qEnd
        && kStart == t.kStart
        && kEnd == t.kEnd
        && keyGroup == t.keyGroup
        && attendedPairs == t.attendedPairs
        && queryRows == t.queryRows;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(id, seqIndex, headGroup, qStart, kStart, keyGroup);
  }

  @Override
  public String toString() {
    return "task "
        + id
        + ": seq "
        + seqIndex
        + ", heads ["
        + headStart
        + ", "
        + headEnd
        + "), "
        + (contiguousQueries() ? "" : queryRows + " ")
        + "queries ["
        + qStart
        + ", "
        + qEnd
        + "), keys ["
        + kStart
        + ", "
        + kEnd
        + "), key group "
        + keyGroup
        + ", "
        + attendedPairs
        + " pairs";
  }
}
