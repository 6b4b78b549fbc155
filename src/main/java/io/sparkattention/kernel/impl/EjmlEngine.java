package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * {@link MatrixEngine} on EJML's single-threaded {@code CommonOps_DDRM} (and {@code CommonOps_FDRM}
 * for the single-precision products).
 */
public final class EjmlEngine implements MatrixEngine {
  /** The one instance (stateless). */
  public static final EjmlEngine INSTANCE = new EjmlEngine();

  private EjmlEngine() {}

  @Override
  public String name() {
    return "ejml";
  }

  @Override
  public void mult(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.mult(A, B, C);
  }

  @Override
  public void multTransB(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.multTransB(A, B, C);
  }

  @Override
  public void multAdd(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.multAdd(A, B, C);
  }

  @Override
  public void mult(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C) {
    CommonOps_FDRM.mult(A, B, C);
  }

  @Override
  public void multTransB(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C) {
    CommonOps_FDRM.multTransB(A, B, C);
  }
}
