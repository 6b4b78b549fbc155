package io.sparkattention.spark.pooling;

import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.HierarchyColumns;
import io.sparkattention.spark.io.ResultWriter;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.TokenTables;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.metrics.ProgressListener;
import io.sparkattention.spark.validate.HierarchyValidator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hierarchical attention network's pooling (Yang et al. 2016) end to end: read a table of words
 * (doc_id, sent_id, pos, x), validate it, pool each sentence's words into a sentence vector by
 * attention pooling with the word-level weights, pool each document's sentence vectors with the
 * sentence-level weights, and write both levels with their attention weights, all or nothing:
 *
 * <ul>
 *   <li>{@code OUTPUT/sentences}: {@code doc_id}, {@code sent_id}, {@code vec} (the sentence
 *       vector, width d), {@code word_weights} (α of its words, indexed by pos);
 *   <li>{@code OUTPUT/documents}: {@code doc_id}, {@code vec} (width d), {@code sentence_weights}
 *       (α of its sentences, indexed by sent_id).
 * </ul>
 *
 * <p>Both levels are {@link DistributedPooling}: no sentence or document is held in one task, only
 * its weights (8 bytes per word or sentence).
 */
public final class HierarchicalPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(HierarchicalPipeline.class);

  /** Bits of a sentence key holding the sent_id (below 2^28, the validator's position limit). */
  private static final int SENT_BITS = 32;

  private HierarchicalPipeline() {}

  /** What a run did. */
  public record Outcome(long words, long sentences, long documents, int width) {}

  /**
   * What to pool and where to write it; the constructor checks the parameters, naming them.
   *
   * @param input the word table's path
   * @param output where {@code sentences/} and {@code documents/} go
   * @param format the tables' format
   * @param overwrite replace an existing output
   * @param weights both levels' weights (checked against the data's width when run)
   * @param blockSize rows per pooling block, ≥ 1 (see {@link DistributedPooling})
   */
  public record Request(
      String input,
      String output,
      TableFormat format,
      boolean overwrite,
      HierarchicalWeights weights,
      int blockSize) {
    public Request {
      if (input == null || output == null || format == null || weights == null) {
        throw InputException.forParameter(
            input == null
                ? "input"
                : output == null ? "output" : format == null ? "format" : "weights",
            "is required");
      }
      if (blockSize < 1) {
        throw InputException.forParameter("blockSize", "must be >= 1, got " + blockSize);
      }
    }
  }

  /**
   * Runs the pooling over the table at {@code request.input()} and writes {@code output/sentences}
   * and {@code output/documents}.
   *
   * @throws InputException for bad input, before anything is written
   */
  public static Outcome run(SparkSession spark, Request request) {
    HierarchicalWeights weights = request.weights();
    int blockSize = request.blockSize();
    ProgressListener progress = new ProgressListener();
    spark.sparkContext().addSparkListener(progress);
    JavaRDD<PooledGroup> sentences = null;
    try {
      long start = System.nanoTime();
      ResultWriter.checkApart(spark, request.output(), request.input());
      ResultWriter.checkOutput(spark, request.output(), request.overwrite());
      Dataset<Row> table = TokenTables.read(spark, request.input(), request.format(), "input");
      HierarchyColumns cols = HierarchyColumns.of(table.schema(), "x");
      HierarchyValidator.ValidHierarchy valid = HierarchyValidator.validate(table, cols);
      LOG.info(
          "validated {}: {} documents, {} sentences (at most {} in a document), {} words (longest"
              + " sentence {}), width {} ({})",
          request.input(),
          valid.docIds().size(),
          valid.sentences(),
          valid.mostSentences(),
          valid.tokens(),
          valid.longestSentence(),
          valid.width(),
          Elapsed.since(start));
      PoolingWeights word = weights.word(valid.width());
      PoolingWeights sentence = weights.sentence(valid.width());

      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int partitions = Math.max(1, 2 * jsc.defaultParallelism());
      Broadcast<SequenceIndex> docIndexB = jsc.broadcast(SequenceIndex.of(valid.docIds()));
      FaultInjection faults = FaultInjection.of(spark);
      if (faults.isActive()) {
        LOG.warn("test-only fault injection is on: {}", faults);
      }

      // Word level: each word to its sentence (doc, sent_id), pooled in blocks of its positions.
      JavaRDD<PoolStep> words =
          table
              .javaRDD()
              .map(
                  row -> {
                    int doc = docIndexB.value().require(cols.docId(row));
                    return new PoolStep(
                        sentenceKey(doc, cols.sentId(row)),
                        cols.tokens().pos(row),
                        cols.tokens().vector(row));
                  });
      words = faults.inject(FaultInjection.ROUTE, words);
      sentences =
          DistributedPooling.pool(words, jsc.broadcast(word), blockSize, partitions, faults)
              // written, and pooled again at the sentence level: computed once
              .persist(StorageLevel.MEMORY_AND_DISK());
      // Sentence level: each sentence vector to its document, at position sent_id.
      JavaRDD<PoolStep> sentenceSteps =
          sentences.map(g -> new PoolStep(g.group() >>> SENT_BITS, sentId(g.group()), g.vector()));
      JavaRDD<PooledGroup> documents =
          DistributedPooling.pool(
              sentenceSteps, jsc.broadcast(sentence), blockSize, partitions, faults);

      boolean vector = request.format() == TableFormat.PARQUET;
      long[] written =
          ResultWriter.writeTables(
              spark,
              List.of(
                  new ResultWriter.NamedTable(
                      "sentences",
                      sentenceTable(spark, sentences, docIndexB, cols, vector),
                      valid.sentences(),
                      "sentences"),
                  new ResultWriter.NamedTable(
                      "documents",
                      documentTable(spark, documents, docIndexB, cols, vector),
                      valid.docIds().size(),
                      "documents")),
              request.output(),
              request.format(),
              request.overwrite());
      LOG.info(
          "wrote {} sentences and {} documents to {} ({})",
          written[0],
          written[1],
          request.output(),
          Elapsed.since(start));
      return new Outcome(valid.tokens(), written[0], written[1], valid.width());
    } finally {
      if (sentences != null) {
        sentences.unpersist(false);
      }
      ResultWriter.release(spark, request.output()); // the claim (lock) checkOutput took
      spark.sparkContext().removeSparkListener(progress);
    }
  }

  static long sentenceKey(int docIndex, long sentId) {
    return ((long) docIndex << SENT_BITS) | sentId;
  }

  static long sentId(long sentenceKey) {
    return sentenceKey & ((1L << SENT_BITS) - 1);
  }

  /** The schema of {@code OUTPUT/sentences}. */
  public static StructType sentenceSchema(HierarchyColumns cols, boolean vector) {
    return new StructType()
        .add(HierarchyColumns.DOC_ID, cols.docIdType(), false)
        .add(HierarchyColumns.SENT_ID, cols.sentIdType(), false)
        .add("vec", vectorType(vector), false)
        .add("word_weights", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
  }

  /** The schema of {@code OUTPUT/documents}. */
  public static StructType documentSchema(HierarchyColumns cols, boolean vector) {
    return new StructType()
        .add(HierarchyColumns.DOC_ID, cols.docIdType(), false)
        .add("vec", vectorType(vector), false)
        .add("sentence_weights", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
  }

  private static DataType vectorType(boolean vector) {
    return vector
        ? SQLDataTypes.VectorType()
        : DataTypes.createArrayType(DataTypes.DoubleType, false);
  }

  private static Dataset<Row> sentenceTable(
      SparkSession spark,
      JavaRDD<PooledGroup> sentences,
      Broadcast<SequenceIndex> docIds,
      HierarchyColumns cols,
      boolean vector) {
    final DataType docType = cols.docIdType();
    final DataType sentType = cols.sentIdType();
    JavaRDD<Row> rows =
        sentences.map(
            g ->
                RowFactory.create(
                    id(docIds.value().id((int) (g.group() >>> SENT_BITS)), docType),
                    id(sentId(g.group()), sentType),
                    vector ? Vectors.dense(g.vector()) : boxed(g.vector()),
                    boxed(g.weights())));
    return spark.createDataFrame(rows, sentenceSchema(cols, vector));
  }

  private static Dataset<Row> documentTable(
      SparkSession spark,
      JavaRDD<PooledGroup> documents,
      Broadcast<SequenceIndex> docIds,
      HierarchyColumns cols,
      boolean vector) {
    final DataType docType = cols.docIdType();
    JavaRDD<Row> rows =
        documents.map(
            g ->
                RowFactory.create(
                    id(docIds.value().id((int) g.group()), docType),
                    vector ? Vectors.dense(g.vector()) : boxed(g.vector()),
                    boxed(g.weights())));
    return spark.createDataFrame(rows, documentSchema(cols, vector));
  }

  /** An id (String, or a Long as validation keeps numbers) as the column's type. */
  static Object id(Object v, DataType type) {
    if (type == DataTypes.IntegerType) {
      return ((Number) v).intValue();
    }
    if (type == DataTypes.ShortType) {
      return ((Number) v).shortValue();
    }
    if (type == DataTypes.LongType) {
      return ((Number) v).longValue();
    }
    return v;
  }

  private static Double[] boxed(double[] v) {
    Double[] b = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = v[i];
    }
    return b;
  }
}
