package io.sparkattention.spark.validate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one pass over a token table found: per sequence its token count and the set of positions (as
 * a bit set, so missing and duplicate positions are found exactly without a shuffle), the vector
 * widths seen, and the first few bad rows. Partition summaries merge associatively.
 */
final class ValidationSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How many examples of each problem a message quotes. */
  static final int EXAMPLES = 5;

  /**
   * Positions at or above this are refused: the bit set of a sequence grows to its largest
   * position, so a stray huge position must not allocate gigabytes.
   */
  static final long MAX_POSITION = 1L << 28;

  long rows;
  long badRows;
  final List<String> problems = new ArrayList<>();

  /** Vector width → one row having it. */
  final TreeMap<Integer, String> widths = new TreeMap<>();

  final Map<Object, SeqStats> sequences = new HashMap<>();

  /** One sequence's token count, positions, and duplicate examples. */
  static final class SeqStats implements Serializable {
    private static final long serialVersionUID = 1L;
    long count;
    final BitSet positions = new BitSet();
    final List<Long> duplicates = new ArrayList<>();

    void add(long pos) {
      count++;
      if (positions.get((int) pos)) {
        if (duplicates.size() < EXAMPLES) {
          duplicates.add(pos);
        }
      } else {
        positions.set((int) pos);
      }
    }

    void merge(SeqStats o) {
      count += o.count;
      BitSet both = (BitSet) positions.clone();
      both.and(o.positions);
      for (int p = both.nextSetBit(0);
          p >= 0 && duplicates.size() < EXAMPLES;
          p = both.nextSetBit(p + 1)) {
        duplicates.add((long) p);
      }
      for (Long d : o.duplicates) {
        if (duplicates.size() < EXAMPLES) {
          duplicates.add(d);
        }
      }
      positions.or(o.positions);
    }

    long length() {
      return positions.length();
    }

    /** What is wrong with the positions (duplicates first, else missing ones), or null. */
    String problem() {
      if (!duplicates.isEmpty()) {
        return "duplicate pos " + join(duplicates);
      }
      if (count == length()) {
        return null;
      }
      List<Long> missing = new ArrayList<>();
      for (int p = positions.nextClearBit(0);
          p < length() && missing.size() < EXAMPLES;
          p = positions.nextClearBit(p + 1)) {
        missing.add((long) p);
      }
      return "missing pos "
          + join(missing)
          + " ("
          + count
          + " tokens, largest pos "
          + (length() - 1)
          + ")";
    }
  }

  void problem(String message) {
    badRows++;
    if (problems.size() < EXAMPLES) {
      problems.add(message);
    }
  }

  ValidationSummary merge(ValidationSummary o) {
    rows += o.rows;
    badRows += o.badRows;
    for (String p : o.problems) {
      if (problems.size() < EXAMPLES) {
        problems.add(p);
      }
    }
    o.widths.forEach(widths::putIfAbsent);
    o.sequences.forEach(
        (k, v) -> {
          SeqStats mine = sequences.get(k);
          if (mine == null) {
            sequences.put(k, v);
          } else {
            mine.merge(v);
          }
        });
    return this;
  }

  /** Sequences with a duplicate or missing position, in a stable order, with what is wrong. */
  Map<Object, String> positionProblems() {
    Map<Object, String> out = new LinkedHashMap<>();
    List<Object> ids = new ArrayList<>(sequences.keySet());
    ids.sort(InputValidator.seqIdOrder());
    for (Object id : ids) {
      String problem = sequences.get(id).problem();
      if (problem != null) {
        out.put(id, problem);
      }
    }
    return out;
  }

  private static String join(List<Long> ps) {
    StringBuilder b = new StringBuilder();
    for (Long p : ps) {
      b.append(b.length() == 0 ? "" : ", ").append(p);
    }
    return b.toString();
  }
}
