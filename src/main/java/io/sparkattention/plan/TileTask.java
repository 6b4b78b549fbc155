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

  /** The keys the task holds: {@code kEnd − kStart}, or fewer when gathered. */
  private final long keyRows;

  private TileTask(Builder b) {
    long queryRows = b.allQueries ? b.qEnd - b.qStart : b.queryRows;
    if (b.headStart < 0 || b.headEnd <= b.headStart) {
      throw new IllegalArgumentException(
          "heads [" + b.headStart + ", " + b.headEnd + ") are not a non-empty range");
    }
    if (b.qStart < 0 || b.qEnd < b.qStart || b.kStart < 0 || b.kEnd < b.kStart) {
      throw new IllegalArgumentException(
          "queries ["
              + b.qStart
              + ", "
              + b.qEnd
              + ") or keys ["
              + b.kStart
              + ", "
              + b.kEnd
              + ") are not ranges of positions");
    }
    if (queryRows < 0 || queryRows > b.qEnd - b.qStart) {
      throw new IllegalArgumentException(
          queryRows + " query rows do not fit positions [" + b.qStart + ", " + b.qEnd + ")");
    }
    long keyRows = b.gatheredKeys < 0 ? b.kEnd - b.kStart : b.gatheredKeys;
    if (keyRows > b.kEnd - b.kStart) {
      throw new IllegalArgumentException(
          keyRows + " gathered keys do not fit positions [" + b.kStart + ", " + b.kEnd + ")");
    }
    if (b.attendedPairs < 0) {
      throw new IllegalArgumentException("attended pairs must be >= 0, got " + b.attendedPairs);
    }
    this.id = b.id;
    this.seqIndex = b.seqIndex;
    this.headGroup = b.headGroup;
    this.headStart = b.headStart;
    this.headEnd = b.headEnd;
    this.qStart = b.qStart;
    this.qEnd = b.qEnd;
    this.kStart = b.kStart;
    this.kEnd = b.kEnd;
    this.keyGroup = b.keyGroup;
    this.attendedPairs = b.attendedPairs;
    this.queryRows = queryRows;
    this.keyRows = keyRows;
  }

  /** A builder; only the plan makes tasks. */
  static Builder builder() {
    return new Builder();
  }

  /** The global task id, dense from 0 in plan order. */
  public int id() {
    return id;
  }

  /** The sequence's index in the plan. */
  public int seqIndex() {
    return seqIndex;
  }

  /** Index of the head group (0 unless the plan splits by heads). */
  public int headGroup() {
    return headGroup;
  }

  /** First head of the group. */
  public int headStart() {
    return headStart;
  }

  /** One past the last head of the group. */
  public int headEnd() {
    return headEnd;
  }

  /** First query position. */
  public long qStart() {
    return qStart;
  }

  /** One past the last query position. */
  public long qEnd() {
    return qEnd;
  }

  /** First key position. */
  public long kStart() {
    return kStart;
  }

  /** One past the last key position. */
  public long kEnd() {
    return kEnd;
  }

  /** Index of the key group within the query tile's keys: the merge order of its partials. */
  public int keyGroup() {
    return keyGroup;
  }

  /** Number of (query, key) pairs the mask allows: the work estimate. */
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

  /** The number of keys: {@code kEnd − kStart}, or fewer when they are {@link #gatheredKeys}. */
  public long keyCount() {
    return keyRows;
  }

  /**
   * Whether the task's keys are gathered: the global tokens among {@code [kStart, kEnd)} only (a
   * key group's global keys apart from a query tile's window), not every position.
   */
  public boolean gatheredKeys() {
    return keyRows != kEnd - kStart;
  }

  /** The number of heads: {@code headEnd − headStart}. */
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
        && queryRows == t.queryRows
        && keyRows == t.keyRows;
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
        + "), "
        + (gatheredKeys() ? keyRows + " gathered " : "")
        + "keys ["
        + kStart
        + ", "
        + kEnd
        + "), key group "
        + keyGroup
        + ", "
        + attendedPairs
        + " pairs";
  }

  /**
   * Collects a task's parts; {@link #build()} checks them. Unset parts are 0, except the heads: one
   * group of head 0. A builder may be reused: each build copies what is set so far.
   */
  static final class Builder {
    private int id;
    private int seqIndex;
    private int headGroup;
    private int headStart;
    private int headEnd = 1;
    private long qStart;
    private long qEnd;
    private long kStart;
    private long kEnd;
    private int keyGroup;
    private long attendedPairs;
    private boolean allQueries = true;
    private long queryRows;
    private long gatheredKeys = -1;

    private Builder() {}

    /** The global task id, dense from 0. */
    Builder id(int id) {
      this.id = id;
      return this;
    }

    /** The sequence's index in the plan. */
    Builder sequence(int seqIndex) {
      this.seqIndex = seqIndex;
      return this;
    }

    /**
     * Head group {@code headGroup} of groups of {@code headsPerGroup} heads: heads {@code
     * [headGroup·headsPerGroup, (headGroup + 1)·headsPerGroup)}.
     */
    Builder headGroup(int headGroup, int headsPerGroup) {
      this.headGroup = headGroup;
      this.headStart = headGroup * headsPerGroup;
      this.headEnd = (headGroup + 1) * headsPerGroup;
      return this;
    }

    /**
     * Query positions {@code [qStart, qEnd)}; all of them are the task's queries unless {@link
     * #queryCount} says fewer.
     */
    Builder queries(long qStart, long qEnd) {
      this.qStart = qStart;
      this.qEnd = qEnd;
      return this;
    }

    /** Local-p: the task holds {@code queryRows} queries somewhere in its query positions. */
    Builder queryCount(long queryRows) {
      this.allQueries = false;
      this.queryRows = queryRows;
      return this;
    }

    /**
     * Keys {@code [kStart, kEnd)} of key group {@code keyGroup} (the merge order among the query
     * tile's tasks), and the (query, key) pairs the mask allows among them: the work estimate.
     */
    Builder keys(long kStart, long kEnd, int keyGroup, long attendedPairs) {
      this.kStart = kStart;
      this.kEnd = kEnd;
      this.keyGroup = keyGroup;
      this.attendedPairs = attendedPairs;
      this.gatheredKeys = -1;
      return this;
    }

    /**
     * After {@link #keys}: the task holds only the {@code keyRows} global tokens among its key
     * positions (gathered), not every position.
     */
    Builder gatheredKeys(long keyRows) {
      this.gatheredKeys = keyRows;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a range is reversed or negative, or the query count does
     *     not fit the query positions
     */
    TileTask build() {
      return new TileTask(this);
    }
  }
}
