package io.sparkattention.spark.validate;

import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.HierarchyColumns;
import io.sparkattention.spark.io.TokenColumns;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Checks a hierarchical token table (doc_id, sent_id, pos, x) before anything is computed or
 * written, as {@link InputValidator} checks a token table: null ids or positions, non-finite or
 * zero-length vectors, mixed widths, positions that are not 0 … n−1 once each within a sentence,
 * sentence ids that are not 0 … k−1 within a document, an empty table. One pass, no shuffle; errors
 * name the {@code doc_id}, {@code sent_id} and {@code pos} at fault.
 */
public final class HierarchyValidator {
  private HierarchyValidator() {}

  /**
   * A table that passed.
   *
   * @param docIds the documents in a canonical order (by doc_id, numbers numerically)
   * @param sentenceLengths per document (same order) the words of each sentence, by sent_id
   * @param width the vector width
   * @param tokens rows (words)
   */
  public record ValidHierarchy(
      List<Object> docIds, List<long[]> sentenceLengths, int width, long tokens) {
    /** Sentences over all documents. */
    public long sentences() {
      long n = 0;
      for (long[] s : sentenceLengths) {
        n += s.length;
      }
      return n;
    }

    /** The most sentences in one document. */
    public int mostSentences() {
      int m = 0;
      for (long[] s : sentenceLengths) {
        m = Math.max(m, s.length);
      }
      return m;
    }

    /** The longest sentence's words. */
    public long longestSentence() {
      long m = 0;
      for (long[] s : sentenceLengths) {
        for (long n : s) {
          m = Math.max(m, n);
        }
      }
      return m;
    }
  }

  /**
   * Validates {@code table} (columns located by {@code cols}).
   *
   * @throws InputException describing every kind of problem found, with examples
   */
  public static ValidHierarchy validate(Dataset<Row> table, HierarchyColumns cols) {
    ValidationSummary summary =
        table
            .javaRDD()
            .mapPartitions(
                new InputValidator.PartitionSummaryFn((row, t) -> rowProblem(cols, row, t)))
            .treeReduce(ValidationSummary::merge);
    return check(summary, cols.tokens().vectorName());
  }

  /** The summary's sentences are {@link SentenceKey}s. */
  static ValidHierarchy check(ValidationSummary s, String vectorName) {
    if (s.rows == 0) {
      throw new InputException("the input has no rows (an empty table or no data files)");
    }
    List<String> errors = InputValidator.rowAndWidthErrors(s, vectorName);
    Map<Object, String> positions = s.positionProblems();
    if (!positions.isEmpty()) {
      errors.add(
          "column pos must hold 0 … n-1 once each within a sentence; "
              + positions.size()
              + " sentence(s) do not: "
              + examples(positions));
    }
    // Each document's sentence ids, from the sentences seen.
    TreeMap<Object, BitSet> docs = new TreeMap<>(InputValidator.seqIdOrder());
    for (Object k : s.sequences.keySet()) {
      SentenceKey key = (SentenceKey) k;
      docs.computeIfAbsent(key.docId, d -> new BitSet()).set((int) key.sentId);
    }
    Map<Object, String> sentences = new java.util.LinkedHashMap<>();
    for (Map.Entry<Object, BitSet> e : docs.entrySet()) {
      BitSet ids = e.getValue();
      if (ids.cardinality() != ids.length()) {
        List<Long> missing = new ArrayList<>();
        for (int i = ids.nextClearBit(0);
            i < ids.length() && missing.size() < ValidationSummary.EXAMPLES;
            i = ids.nextClearBit(i + 1)) {
          missing.add((long) i);
        }
        sentences.put(
            "doc_id=" + e.getKey(),
            "missing sent_id "
                + join(missing)
                + " ("
                + ids.cardinality()
                + " sentences, largest sent_id "
                + (ids.length() - 1)
                + ")");
      }
    }
    if (!sentences.isEmpty()) {
      errors.add(
          "column sent_id must hold 0 … k-1 within a document; "
              + sentences.size()
              + " document(s) do not: "
              + examples(sentences));
    }
    if (!errors.isEmpty()) {
      throw new InputException("invalid input: " + String.join(". ", errors));
    }
    List<Object> docIds = new ArrayList<>(docs.keySet());
    List<long[]> lengths = new ArrayList<>();
    for (Object doc : docIds) {
      long[] words = new long[docs.get(doc).cardinality()];
      for (int i = 0; i < words.length; i++) {
        words[i] = s.sequences.get(new SentenceKey(doc, i)).count;
      }
      lengths.add(words);
    }
    return new ValidHierarchy(docIds, lengths, s.widths.firstKey(), s.rows);
  }

  private static String examples(Map<Object, String> problems) {
    StringBuilder b = new StringBuilder();
    int shown = 0;
    for (Map.Entry<Object, String> e : problems.entrySet()) {
      if (shown++ == ValidationSummary.EXAMPLES) {
        b.append("; …");
        break;
      }
      b.append(b.length() == 0 ? "" : "; ").append(e.getKey()).append(": ").append(e.getValue());
    }
    return b.toString();
  }

  private static String join(List<Long> values) {
    StringBuilder b = new StringBuilder();
    for (Long v : values) {
      b.append(b.length() == 0 ? "" : ", ").append(v);
    }
    return b.toString();
  }

  /** The problem of one row of a hierarchy table; sentences are keyed by {@link SentenceKey}. */
  static String rowProblem(HierarchyColumns cols, Row row, ValidationSummary s) {
    TokenColumns t = cols.tokens();
    Object doc = cols.docId(row);
    String sent = cols.sentIdIsNull(row) ? "null" : String.valueOf(cols.sentId(row));
    String pos = t.posIsNull(row) ? "null" : String.valueOf(t.pos(row));
    if (doc == null) {
      return "null doc_id (sent_id=" + sent + ", pos=" + pos + ")";
    }
    if (cols.sentIdIsNull(row)) {
      return "null sent_id (doc_id=" + doc + ", pos=" + pos + ")";
    }
    if (t.posIsNull(row)) {
      return "null pos (doc_id=" + doc + ", sent_id=" + sent + ")";
    }
    String at = "doc_id=" + doc + ", sent_id=" + sent + ", pos=" + pos;
    String range = range("sent_id", cols.sentId(row), at);
    if (range == null) {
      range = range("pos", t.pos(row), at);
    }
    if (range != null) {
      return range;
    }
    String vectorProblem = InputValidator.vectorProblem(t, row, s, () -> at);
    s.sequences
        .computeIfAbsent(
            new SentenceKey(doc, cols.sentId(row)), k -> new ValidationSummary.SeqStats())
        .add(t.pos(row));
    return vectorProblem;
  }

  private static String range(String name, long v, String at) {
    if (v < 0) {
      return "negative " + name + " at " + at;
    }
    if (v >= ValidationSummary.MAX_POSITION) {
      return name
          + " "
          + v
          + " is too large (limit "
          + ValidationSummary.MAX_POSITION
          + ") at "
          + at;
    }
    return null;
  }
}
