//! facegate patch (see PATCHED.md in facegate's vendor/tract-linalg): an f32 GEMM kernel with
//! fewer accumulators than `wasm_f32_8x8`, each A value broadcast straight from memory
//! (`v128.load32_splat`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use crate::Scaler;
use crate::mmm::FusedKerSpec;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
unsafe fn kernel_f32_tile<const MR: usize, const NV: usize>(
    mut pnl: *const FusedKerSpec<f32>,
) -> isize {
    use std::arch::wasm32::*;

    unsafe {
        let mut acc = [[f32x4_splat(0.0); NV]; MR];
        macro_rules! each {
            (|$v:ident| $e:expr) => {
                for row in acc.iter_mut() {
                    for $v in row.iter_mut() {
                        *$v = $e;
                    }
                }
            };
        }
        macro_rules! per_row {
            ($rows:expr, |$s:ident, $v:ident| $e:expr) => {
                for (r, row) in acc.iter_mut().enumerate() {
                    let $s = f32x4_splat(*$rows.add(r));
                    for $v in row.iter_mut() {
                        *$v = $e;
                    }
                }
            };
        }
        macro_rules! per_col {
            ($cols:expr, |$c:ident, $v:ident| $e:expr) => {
                let p = $cols as *const v128;
                for row in acc.iter_mut() {
                    for (j, $v) in row.iter_mut().enumerate() {
                        let $c = v128_load(p.add(j));
                        *$v = $e;
                    }
                }
            };
        }
        loop {
            if pnl.is_null() {
                break;
            }
            match *pnl {
                FusedKerSpec::Done => break,
                FusedKerSpec::Clear => acc = [[f32x4_splat(0.0); NV]; MR],
                FusedKerSpec::LoadTile(_cols, rows) => {
                    let p = rows as *const v128;
                    for (r, row) in acc.iter_mut().enumerate() {
                        for (j, v) in row.iter_mut().enumerate() {
                            *v = *p.add(r * NV + j);
                        }
                    }
                }
                FusedKerSpec::ScalarMin(a) => each!(|v| f32x4_min(f32x4_splat(a), *v)),
                FusedKerSpec::ScalarMax(a) => each!(|v| f32x4_max(f32x4_splat(a), *v)),
                FusedKerSpec::ScalarAdd(a) => each!(|v| f32x4_add(f32x4_splat(a), *v)),
                FusedKerSpec::ScalarMul(a) => each!(|v| f32x4_mul(f32x4_splat(a), *v)),
                FusedKerSpec::ScalarSub(a) => each!(|v| f32x4_sub(f32x4_splat(a), *v)),
                FusedKerSpec::ScalarSubF(a) => each!(|v| f32x4_sub(*v, f32x4_splat(a))),
                FusedKerSpec::LeakyRelu(a) => each!(|v| v128_bitselect(
                    *v,
                    f32x4_mul(f32x4_splat(a), *v),
                    f32x4_gt(*v, f32x4_splat(0.0))
                )),
                FusedKerSpec::PerRowMin(rows) => per_row!(rows, |s, v| f32x4_min(s, *v)),
                FusedKerSpec::PerRowMax(rows) => per_row!(rows, |s, v| f32x4_max(s, *v)),
                FusedKerSpec::PerRowAdd(rows) => per_row!(rows, |s, v| f32x4_add(s, *v)),
                FusedKerSpec::PerRowMul(rows) => per_row!(rows, |s, v| f32x4_mul(s, *v)),
                FusedKerSpec::PerRowSub(rows) => per_row!(rows, |s, v| f32x4_sub(s, *v)),
                FusedKerSpec::PerRowSubF(rows) => per_row!(rows, |s, v| f32x4_sub(*v, s)),
                FusedKerSpec::PerColMin(cols) => { per_col!(cols, |c, v| f32x4_min(c, *v)); }
                FusedKerSpec::PerColMax(cols) => { per_col!(cols, |c, v| f32x4_max(c, *v)); }
                FusedKerSpec::PerColAdd(cols) => { per_col!(cols, |c, v| f32x4_add(c, *v)); }
                FusedKerSpec::PerColMul(cols) => { per_col!(cols, |c, v| f32x4_mul(c, *v)); }
                FusedKerSpec::PerColSub(cols) => { per_col!(cols, |c, v| f32x4_sub(c, *v)); }
                FusedKerSpec::PerColSubF(cols) => { per_col!(cols, |c, v| f32x4_sub(*v, c)); }
                FusedKerSpec::QScale(shift, rp, mult) => {
                    let s = f32x4_splat(Scaler::from_fuse_params(shift, rp, mult).scale);
                    each!(|v| f32x4_mul(s, *v))
                }
                FusedKerSpec::RoundingShiftRight(shift, _rp) => {
                    let s = f32x4_splat(2f32.powi(-(shift as i32)));
                    each!(|v| f32x4_mul(s, *v))
                }
                FusedKerSpec::ShiftLeft(shift) => {
                    let s = f32x4_splat(2f32.powi(shift as i32));
                    each!(|v| f32x4_mul(s, *v))
                }
                FusedKerSpec::AddRowColProducts(rows, cols) => {
                    let p = cols as *const v128;
                    for (r, row) in acc.iter_mut().enumerate() {
                        let s = f32x4_splat(*rows.add(r));
                        for (j, v) in row.iter_mut().enumerate() {
                            *v = madd_f32x4!(*v, s, v128_load(p.add(j)));
                        }
                    }
                }
                FusedKerSpec::AddUnicast(tile) => {
                    let mut ptr: *const u8 = tile.ptr;
                    for row in acc.iter_mut() {
                        for (j, v) in row.iter_mut().enumerate() {
                            let at = |c: usize| {
                                *(ptr.offset(tile.col_byte_stride * (j * 4 + c) as isize)
                                    as *const f32)
                            };
                            *v = f32x4_add(f32x4(at(0), at(1), at(2), at(3)), *v);
                        }
                        ptr = ptr.add(tile.row_byte_stride as usize);
                    }
                }
                FusedKerSpec::Store(tile) => {
                    let mut ptr: *mut u8 = tile.ptr;
                    for row in acc.iter() {
                        for (j, v) in row.iter().enumerate() {
                            let at = |c: usize| {
                                ptr.offset(tile.col_byte_stride * (j * 4 + c) as isize) as *mut f32
                            };
                            *at(0) = f32x4_extract_lane::<0>(*v);
                            *at(1) = f32x4_extract_lane::<1>(*v);
                            *at(2) = f32x4_extract_lane::<2>(*v);
                            *at(3) = f32x4_extract_lane::<3>(*v);
                        }
                        ptr = ptr.add(tile.row_byte_stride as usize);
                    }
                }
                FusedKerSpec::AddMatMul { k, pa, pb, packing: _ } => {
                    // A: packed [k][MR], each value broadcast by one load32_splat;
                    // B: packed [k][4 * NV], NV v128 per k
                    let a = pa as *const f32;
                    let b = pb as *const v128;
                    for i in 0..k {
                        let mut bv = [f32x4_splat(0.0); NV];
                        for (j, v) in bv.iter_mut().enumerate() {
                            *v = v128_load(b.add(i * NV + j));
                        }
                        for (r, row) in acc.iter_mut().enumerate() {
                            let s = v128_load32_splat(a.add(i * MR + r) as *const u32);
                            for (v, bj) in row.iter_mut().zip(bv.iter()) {
                                *v = madd_f32x4!(*v, s, *bj);
                            }
                        }
                    }
                }
            }
            pnl = pnl.add(1);
        }
        0
    }
}

/// WASM SIMD f32 4x8 kernel: 4 rows x 8 columns, 8 v128 accumulators. With two B vectors and
/// one broadcast A value live beside them it fits the 15 xmm registers V8's x64 backend
/// allocates, where 8x8's 16 accumulators spill on every k-step: in Node 22 (V8) MobileFaceNet's
/// embedding (twice, with the flip) takes 39.3 ms with this kernel against 59.5 ms with 8x8, the
/// outputs bit for bit the same (the same k order). Measured against the other tiles of
/// `kernel_f32_tile` on the same run: 2x16 41.6 ms, 3x8 46 ms, 8x4 48 ms, 6x8 50 ms, 4x12 51 ms.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
unsafe fn kernel_f32_4x8(pnl: *const FusedKerSpec<f32>) -> isize {
    unsafe { kernel_f32_tile::<4, 2>(pnl) }
}

bail_stub!(wasm32; unsafe fn kernel_f32_4x8(*const FusedKerSpec<f32>) -> isize);

MMMRustKernel!(wasm32; kernel_f32_4x8 => wasm_f32_4x8<f32>(4, 8)@(16, 16));
