package io.sparkattention.spark.validate;

import java.io.Serializable;
import java.util.Objects;

/**
 * A sentence of a hierarchical table during validation: its document's id (String or Long) and its
 * {@code sent_id}. Ordered by document (as {@link InputValidator#seqIdOrder()}), then sentence.
 */
final class SentenceKey implements Comparable<SentenceKey>, Serializable {
  private static final long serialVersionUID = 1L;

  final Object docId;
  final long sentId;

  SentenceKey(Object docId, long sentId) {
    this.docId = docId;
    this.sentId = sentId;
  }

  @Override
  public int compareTo(SentenceKey o) {
    int c = InputValidator.seqIdOrder().compare(docId, o.docId);
    return c != 0 ? c : Long.compare(sentId, o.sentId);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SentenceKey
        && docId.equals(((SentenceKey) o).docId)
        && sentId == ((SentenceKey) o).sentId;
  }

  @Override
  public int hashCode() {
    return Objects.hash(docId, sentId);
  }

  /** As messages name a sentence: {@code doc_id=…, sent_id=…}. */
  @Override
  public String toString() {
    return "doc_id=" + docId + ", sent_id=" + sentId;
  }
}
