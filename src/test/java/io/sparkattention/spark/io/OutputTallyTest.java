package io.sparkattention.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.plan.SequenceIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The output tally against a brute-force count: random results (whole sequences, sequences split
 * over tasks in broken runs, tokens dropped, duplicated, moved outside their sequence or duplicated
 * whole sequences), dealt to tasks in random order; the tally accepts exactly the results in which
 * every position of every sequence appears once, and counts the sequences that are not.
 */
class OutputTallyTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void agreesWithABruteForceCount(int seed) {
    Random rnd = new Random(seed);
    int sequences = 1 + rnd.nextInt(40);
    long[] lengths = new long[sequences];
    List<Object> ids = new ArrayList<>();
    List<FinishedToken> tokens = new ArrayList<>();
    for (int s = 0; s < sequences; s++) {
      lengths[s] = 1 + rnd.nextInt(rnd.nextBoolean() ? 5 : 70);
      ids.add("s" + s);
      for (long p = 0; p < lengths[s]; p++) {
        tokens.add(token(s, p));
      }
    }
    int faults = seed % 4 == 0 ? 0 : rnd.nextInt(4);
    for (int f = 0; f < faults; f++) {
      int i = rnd.nextInt(tokens.size());
      FinishedToken t = tokens.get(i);
      switch (rnd.nextInt(4)) {
        case 0 -> tokens.remove(i);
        case 1 -> tokens.add(t);
        case 2 -> tokens.set(i, token(t.seqIndex(), lengths[t.seqIndex()] + rnd.nextInt(3)));
        default -> {
          int s = t.seqIndex();
          for (long p = 0; p < lengths[s]; p++) {
            tokens.add(token(s, p));
          }
        }
      }
    }
    // Whole runs of a sequence stay together most of the time, as a write stage gives them; some
    // results are shuffled token by token, which breaks every run.
    if (rnd.nextBoolean()) {
      Collections.shuffle(tokens, rnd);
    }
    int tasks = 1 + rnd.nextInt(6);
    List<List<FinishedToken>> dealt = new ArrayList<>();
    for (int k = 0; k < tasks; k++) {
      dealt.add(new ArrayList<>());
    }
    int k = 0;
    for (FinishedToken t : tokens) {
      if (rnd.nextInt(10) == 0) {
        k = rnd.nextInt(tasks);
      }
      dealt.get(k).add(t);
    }
    OutputTally.Tally merged = new OutputTally.Tally();
    for (List<FinishedToken> task : dealt) {
      OutputTally.Counting c = new OutputTally.Counting(task.iterator(), lengths, merged::merge);
      List<FinishedToken> passed = new ArrayList<>();
      c.forEachRemaining(passed::add);
      assertEquals(task, passed, "tokens pass unchanged");
    }
    int bad = badSequences(tokens, lengths);
    SequenceIndex index = SequenceIndex.of(ids);
    if (bad == 0) {
      assertEquals(tokens.size(), OutputTally.judge(merged, index, lengths, "OUT"));
    } else {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> OutputTally.judge(merged, index, lengths, "OUT"));
      assertTrue(e.getMessage().contains("(" + bad + " sequence(s))"), e.getMessage());
      assertTrue(e.getMessage().endsWith("nothing written to OUT"), e.getMessage());
    }
  }

  /** Sequences whose rows are not each of their positions once: counted from the definition. */
  static int badSequences(List<FinishedToken> tokens, long[] lengths) {
    Map<Integer, Map<Long, Integer>> seen = new HashMap<>();
    for (FinishedToken t : tokens) {
      seen.computeIfAbsent(t.seqIndex(), s -> new HashMap<>()).merge(t.pos(), 1, Integer::sum);
    }
    int bad = 0;
    for (int s = 0; s < lengths.length; s++) {
      Map<Long, Integer> counts = seen.getOrDefault(s, Map.of());
      boolean ok = counts.size() == lengths[s];
      for (Map.Entry<Long, Integer> e : counts.entrySet()) {
        ok &= e.getKey() >= 0 && e.getKey() < lengths[s] && e.getValue() == 1;
      }
      bad += ok ? 0 : 1;
    }
    return bad;
  }

  static FinishedToken token(int seq, long pos) {
    return new FinishedToken(seq, pos, new double[] {seq, pos});
  }
}
