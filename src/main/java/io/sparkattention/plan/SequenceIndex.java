package io.sparkattention.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;

/**
 * The sequences of a table by id, in the order the plan numbers them: sequence {@code s} of an
 * {@link AttentionPlan} is the one whose id is {@link #id id(s)}, and a token's id gives its
 * sequence's index by {@link #indexOf}. Ids are compared with {@code equals} (Strings or Longs, as
 * the table's id column). Immutable and serializable, so a driver can broadcast one index for its
 * executors to key tokens by.
 */
public final class SequenceIndex implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Plain collections (or {@link SortedIds}), so that any serializer Spark is given can ship them.
   */
  private final List<Object> ids;

  /** Id → index, or null when {@link #ids} is a {@link SortedIds} (found by binary search). */
  private final HashMap<Object, Integer> index;

  private SequenceIndex(List<Object> ids, HashMap<Object, Integer> index) {
    this.ids = ids;
    this.index = index;
  }

  /**
   * Indexes {@code ids}: the i-th becomes sequence i.
   *
   * @throws IllegalArgumentException if an id is null or given twice
   */
  public static SequenceIndex of(List<?> ids) {
    if (ids instanceof SortedIds sorted) {
      return new SequenceIndex(sorted, null); // unique and non-null by construction
    }
    ArrayList<Object> copy = new ArrayList<>(ids);
    HashMap<Object, Integer> index = new HashMap<>();
    for (int i = 0; i < copy.size(); i++) {
      Object id = copy.get(i);
      if (id == null) {
        throw new IllegalArgumentException("sequence " + i + " has a null id");
      }
      Integer before = index.put(id, i);
      if (before != null) {
        throw new IllegalArgumentException(
            "id " + id + " names sequences " + before + " and " + i + "; ids must be unique");
      }
    }
    return new SequenceIndex(copy, index);
  }

  /** Number of sequences. */
  public int size() {
    return ids.size();
  }

  /** The id of sequence {@code s}. */
  public Object id(int s) {
    return ids.get(s);
  }

  /** Every id, sequence 0 first (unmodifiable). */
  public List<Object> ids() {
    return Collections.unmodifiableList(ids);
  }

  /** The index of the sequence named {@code id}, or -1 if none is (or {@code id} is null). */
  public int indexOf(Object id) {
    if (index == null) {
      return ids.indexOf(id);
    }
    Integer s = id == null ? null : index.get(id);
    return s == null ? -1 : s;
  }

  /**
   * The index of the sequence named {@code id}, for ids that were validated against this index.
   *
   * @throws IllegalStateException if no sequence is named {@code id}
   */
  public int require(Object id) {
    int s = indexOf(id);
    if (s < 0) {
      throw new IllegalStateException(
          "id " + id + " is not one of the " + ids.size() + " validated sequences");
    }
    return s;
  }
}
