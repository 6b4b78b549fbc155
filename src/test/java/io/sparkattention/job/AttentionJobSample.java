package io.sparkattention.job;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import io.sparkattention.fixtures.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The sequences and weights behind the attention job's end-to-end tests ({@code
 * AttentionJob*SparkTest}), and the check of a result against the {@link SoftmaxReference}: four
 * sequences of lengths 1, 5, 37 and 300, width 8, under string ids or integer ids; weights d=8 → 8
 * in a file.
 */
final class AttentionJobSample {
  static final int D = 8;
  static final int[] LENGTHS = {1, 5, 37, 300};
  static final Object[] STRING_IDS = {"one", "five", "thirty-seven", "three-hundred"};

  /** Integer ids whose numeric, string and input orders all differ. */
  static final Object[] INT_IDS = {100, -3, 7, 20};

  /** The sequences behind every valid table here, under the string ids. */
  final TokenFiles tokens;

  final Weights weights;
  final Path weightsFile;

  /** Draws the sequences, then the weights, from one seeded generator; writes the weights file. */
  AttentionJobSample(Path dir) throws IOException {
    Random rnd = new Random(2024);
    tokens = TokenFiles.gaussian(rnd, D, LENGTHS, STRING_IDS);
    weights = Weights.projections(rnd, D, D, D, 0.5);
    weightsFile = Files.writeString(dir.resolve("weights.json"), weights.toJson());
  }

  TokenFiles tokens(boolean integerIds) {
    return integerIds ? tokens.withIds(INT_IDS) : tokens;
  }

  /** Integer ids come with long positions, string ids with int positions. */
  String writeParquet(Path path, boolean integerIds, long seed, int files) {
    return tokens(integerIds).writeParquet(SparkTestSession.spark(), path, seed, files);
  }

  String writeJson(Path path, boolean integerIds, long seed) throws IOException {
    return tokens(integerIds).writeJson(path, seed);
  }

  /**
   * Asserts that the result table holds one row per token and nothing else, each within 1e-9 of
   * multi-head self-attention by the reference ({@code kind} global, local or causal).
   */
  void assertMatchesReference(
      Dataset<Row> result, boolean integerIds, Weights w, int heads, String kind, Integer window) {
    double[][][] expected = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      expected[s] = SoftmaxReference.multiHead(tokens.x[s], w, heads, Allowed.of(kind, window));
    }
    ResultTables.assertMatches(result, tokens(integerIds).ids, expected, 1e-9);
  }
}
