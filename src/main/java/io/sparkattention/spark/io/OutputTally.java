package io.sparkattention.spark.io;

import io.sparkattention.plan.SequenceIndex;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.AccumulatorV2;

/**
 * Counts, while a result is written, that it holds exactly one row per input token: each sequence
 * every position from 0 to n − 1 once, and nothing else. The rows are counted on their way to the
 * writer, so the check costs no second pass over the output (issue 13: the read-back aggregation it
 * replaces took a seventh of a corpus job).
 *
 * <p>Each task of the write stage tallies its own rows: a sequence whose every position it holds
 * exactly once is <em>complete</em> (one bit per sequence); one it holds only in part keeps the set
 * of its positions. The driver merges the tasks' tallies (Spark applies a result task's accumulator
 * update once, whatever its retries) and judges: every sequence complete exactly once, in one task
 * or assembled from parts, no position twice. Exact, and the driver holds one bit per sequence plus
 * the positions of the sequences split over tasks (the long ones).
 */
public final class OutputTally extends AccumulatorV2<OutputTally.Tally, OutputTally.Tally> {
  private static final long serialVersionUID = 1L;

  /** Problems quoted in the message. */
  static final int EXAMPLES = 3;

  private Tally tally = new Tally();

  /** An unregistered tally; {@link #register} makes the one a write uses. */
  OutputTally() {}

  /** A tally registered with {@code spark}'s context, zero. */
  public static OutputTally register(SparkSession spark) {
    OutputTally t = new OutputTally();
    spark.sparkContext().register(t, "output rows per token");
    return t;
  }

  /**
   * {@code tokens}, unchanged, each partition tallied into this accumulator when it has been read
   * to its end.
   *
   * @param lengths every sequence's token count, by sequence index
   */
  public JavaRDD<FinishedToken> observe(JavaRDD<FinishedToken> tokens, Broadcast<long[]> lengths) {
    OutputTally acc = this;
    return tokens.mapPartitions(it -> new Counting(it, lengths.value(), acc::add), true);
  }

  /**
   * Judges the merged tally against the input.
   *
   * @param sequences the input's sequences, for messages
   * @param lengths their token counts
   * @return the number of rows written
   * @throws IllegalStateException naming the first sequences whose rows are not one per token
   */
  public long check(SequenceIndex sequences, long[] lengths, String output) {
    return judge(tally, sequences, lengths, output);
  }

  /** {@link #check} of {@code merged}, the tasks' tallies merged (not changed). */
  static long judge(Tally merged, SequenceIndex sequences, long[] lengths, String output) {
    Tally t = merged.copy();
    t.assemble(lengths);
    List<String> examples = new ArrayList<>();
    for (Problem p : t.examples) {
      examples.add("seq_id=" + TokenColumns.shown(sequences.id(p.seq)) + " " + p.what);
    }
    BitSet accounted = (BitSet) t.complete.clone();
    accounted.or(t.named);
    long missing = 0;
    for (int s = accounted.nextClearBit(0); s < lengths.length; s = accounted.nextClearBit(s + 1)) {
      missing++;
      if (examples.size() < EXAMPLES) {
        examples.add(
            "seq_id="
                + TokenColumns.shown(sequences.id(s))
                + " has no rows for "
                + lengths[s]
                + " tokens");
      }
    }
    long bad = t.named.cardinality() + missing;
    if (bad > 0) {
      throw new IllegalStateException(
          "output check failed, not one row per input token ("
              + bad
              + " sequence(s)): "
              + String.join("; ", examples)
              + (bad > examples.size() ? "; …" : "")
              + "; nothing written to "
              + output);
    }
    return t.rows;
  }

  @Override
  public boolean isZero() {
    return tally.rows == 0
        && tally.complete.isEmpty()
        && tally.partial.isEmpty()
        && tally.named.isEmpty();
  }

  @Override
  public AccumulatorV2<Tally, Tally> copy() {
    OutputTally c = new OutputTally();
    c.tally = tally.copy();
    return c;
  }

  @Override
  public void reset() {
    tally = new Tally();
  }

  @Override
  public void add(Tally v) {
    tally.merge(v);
  }

  @Override
  public void merge(AccumulatorV2<Tally, Tally> other) {
    tally.merge(other.value());
  }

  @Override
  public Tally value() {
    return tally;
  }

  /** A problem of one sequence (by index), said without its id. */
  record Problem(int seq, String what) implements Serializable {}

  /**
   * What tasks found: rows, the sequences complete exactly once, the positions of sequences seen in
   * part, and the sequences with a problem (the first few said).
   */
  public static final class Tally implements Serializable {
    private static final long serialVersionUID = 1L;
    long rows;
    final BitSet complete = new BitSet();
    final Map<Integer, BitSet> partial = new HashMap<>();
    final BitSet named = new BitSet();
    final ArrayList<Problem> examples = new ArrayList<>();

    Tally copy() {
      Tally c = new Tally();
      c.merge(this);
      return c;
    }

    /** Records a problem of sequence {@code seq}; a sequence is counted and said once. */
    void problem(int seq, String what) {
      if (!named.get(seq)) {
        named.set(seq);
        if (examples.size() < EXAMPLES) {
          examples.add(new Problem(seq, what));
        }
      }
    }

    /** Adds sequence {@code seq}, complete in one task. */
    void addComplete(int seq) {
      if (complete.get(seq) || partial.containsKey(seq)) {
        problem(seq, "has its rows more than once");
      } else {
        complete.set(seq);
      }
    }

    /** Adds part of sequence {@code seq}: the positions in {@code positions}. */
    void addPart(int seq, BitSet positions) {
      BitSet had = partial.get(seq);
      if (complete.get(seq)) {
        problem(seq, "has its rows more than once");
      } else if (had == null) {
        partial.put(seq, (BitSet) positions.clone());
      } else {
        if (had.intersects(positions)) {
          BitSet both = (BitSet) had.clone();
          both.and(positions);
          problem(seq, "has position " + both.nextSetBit(0) + " more than once");
        }
        had.or(positions);
      }
    }

    void merge(Tally o) {
      rows += o.rows;
      for (Problem p : o.examples) {
        if (!named.get(p.seq()) && examples.size() < EXAMPLES) {
          examples.add(p);
        }
      }
      named.or(o.named);
      for (int s = o.complete.nextSetBit(0); s >= 0; s = o.complete.nextSetBit(s + 1)) {
        addComplete(s);
      }
      for (Map.Entry<Integer, BitSet> e : o.partial.entrySet()) {
        addPart(e.getKey(), e.getValue());
      }
    }

    /** Moves every sequence whose parts now make it whole to {@link #complete}. */
    void assembleWhole(long[] lengths) {
      for (Iterator<Map.Entry<Integer, BitSet>> it = partial.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<Integer, BitSet> e = it.next();
        if (e.getValue().cardinality() == lengths[e.getKey()]) {
          it.remove();
          complete.set(e.getKey());
        }
      }
    }

    /** {@link #assembleWhole}, then a problem for every sequence still in part. */
    void assemble(long[] lengths) {
      assembleWhole(lengths);
      for (Map.Entry<Integer, BitSet> e : partial.entrySet()) {
        int s = e.getKey();
        problem(
            s,
            "has rows for " + e.getValue().cardinality() + " of its " + lengths[s] + " positions");
      }
    }
  }

  /** Passes a partition's tokens through, tallying each; adds the tally when the last has gone. */
  static final class Counting implements Iterator<FinishedToken> {
    private final Iterator<FinishedToken> in;
    private final long[] lengths;
    private final Consumer<Tally> done;
    private final Tally tally = new Tally();
    private final BitSet positions = new BitSet();
    private int seq = -1;
    private long seqRows;
    private boolean added;

    Counting(Iterator<FinishedToken> in, long[] lengths, Consumer<Tally> done) {
      this.in = in;
      this.lengths = lengths;
      this.done = done;
    }

    @Override
    public boolean hasNext() {
      if (in.hasNext()) {
        return true;
      }
      if (!added) {
        added = true;
        close();
        tally.assembleWhole(lengths);
        done.accept(tally);
      }
      return false;
    }

    @Override
    public FinishedToken next() {
      if (!in.hasNext()) {
        throw new NoSuchElementException();
      }
      FinishedToken t = in.next();
      tally.rows++;
      int s = t.seqIndex();
      if (s != seq) {
        close();
        seq = s;
      }
      long pos = t.pos();
      if (s < 0 || s >= lengths.length) {
        throw new IllegalStateException("a result row of sequence index " + s + ", not an input's");
      }
      if (pos < 0 || pos >= lengths[s]) {
        tally.problem(s, "has a row at position " + pos + ", outside 0…" + (lengths[s] - 1));
      } else if (positions.get((int) pos)) {
        tally.problem(s, "has position " + pos + " more than once");
      } else {
        positions.set((int) pos);
        seqRows++;
      }
      return t;
    }

    /** Ends the run of rows of the current sequence. */
    private void close() {
      if (seq < 0) {
        return;
      }
      if (seqRows == lengths[seq]) {
        tally.addComplete(seq);
      } else {
        tally.addPart(seq, positions);
      }
      positions.clear();
      seqRows = 0;
      seq = -1;
    }
  }
}
