;; NDE v2 keystream kernel, WebAssembly SIMD 128 (docs/nde-v2-spec.md).
;;
;; Hand-written; assembled by `node wasm/build.mjs` (wat2wasm from Debian's wabt). Integer semantics
;; of WebAssembly are fully specified, so this gives the same bytes on every engine and CPU.
;;
;; A layer  y[j] = sigma(sum_k x[k] * (w[k][j] - z[j]))  is computed with i32x4.dot_i16x8_s: the
;; input bytes are widened to i16 and a pair (x[2p], x[2p+1]) is broadcast to all four i32 lanes
;; (v128.load32_splat); the weights are preprocessed by the host to i16 (w - z) in [-255, 255] and
;; interleaved so that one v128 holds, for four consecutive outputs j..j+3, the pairs
;; (w'[2p][j], w'[2p+1][j]). Each dot product is then exact (|pair sum| <= 2 * 255 * 255) and so is
;; the i32 sum over 64 inputs (|acc| <= 4,161,600 < 2^31).
;; sigma(acc) = (acc * 0x9E3779B1 mod 2^32) >> 24 is i32x4.mul then i32x4.shr_u 24; the result is
;; 0..255, so the two saturating narrows below are plain truncations.
;;
;; Memory (one fixed 256 KiB memory, exported; the host writes weights, states and data into it):
;;   W1       0 ..   8192   layer 1 weights, 4 blocks of 16 outputs
;;   W2    8192 ..  81920   layer 2 weights, 36 blocks of 16 outputs
;;            block b (2048 bytes) = for p < 32: 4 v128, v128 i holds outputs 16b + 4i .. 16b + 4i + 3
;;   LANE0 81920, LANE1 82944 (1024 bytes each):
;;     +0   state s, 64 bytes (the host writes iv(index) here; after a run it holds the last state)
;;     +64  s widened to i16 (128 bytes)     +192  hidden a widened to i16 (128 bytes)
;;     +320 hidden a, 64 bytes                +384  y, 576 bytes (keystream 512 + carry 64)
;;   WIN0 131072, WIN1 196608: 64 KiB data windows (128 steps), processed in place.
;; A run processes whole 512-byte steps in place; a chunk's partial last step is run on a full
;; window step whose tail is stale bytes: the host keeps only the chunk's bytes, and the state after
;; a partial step is never used (the spec allows any padding).
(module
  (memory (export "memory") 4 4)

  (global (export "W1") i32 (i32.const 0))
  (global (export "W2") i32 (i32.const 8192))
  (global (export "LANE0") i32 (i32.const 81920))
  (global (export "LANE1") i32 (i32.const 82944))
  (global (export "WIN0") i32 (i32.const 131072))
  (global (export "WIN1") i32 (i32.const 196608))
  (global (export "WIN_STEPS") i32 (i32.const 128))

  ;; sigma on four accumulators, narrowed to 16 output bytes in order
  (func $pack (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $m v128)
    (local.set $m (v128.const i32x4 0x9E3779B1 0x9E3779B1 0x9E3779B1 0x9E3779B1))
    (i8x16.narrow_i16x8_u
      (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.mul (local.get $a) (local.get $m)) (i32.const 24))
        (i32x4.shr_u (i32x4.mul (local.get $b) (local.get $m)) (i32.const 24)))
      (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.mul (local.get $c) (local.get $m)) (i32.const 24))
        (i32x4.shr_u (i32x4.mul (local.get $d) (local.get $m)) (i32.const 24)))))

  ;; One lane, one layer: $n groups of 32 outputs (two weight blocks each); $x: 64 inputs as i16.
  (func $layer1 (param $x i32) (param $w i32) (param $n i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $b v128) (local $xp i32) (local $xe i32)
    (local.set $xe (i32.add (local.get $x) (i32.const 128)))
    (loop $group
      (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
      (local.set $a4 (v128.const i64x2 0 0)) (local.set $a5 (v128.const i64x2 0 0))
      (local.set $a6 (v128.const i64x2 0 0)) (local.set $a7 (v128.const i64x2 0 0))
      (local.set $xp (local.get $x))
      (loop $pair
        (local.set $b (v128.load32_splat (local.get $xp)))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=0 (local.get $w)))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=16 (local.get $w)))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=32 (local.get $w)))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=48 (local.get $w)))))
        (local.set $a4 (i32x4.add (local.get $a4) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=2048 (local.get $w)))))
        (local.set $a5 (i32x4.add (local.get $a5) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=2064 (local.get $w)))))
        (local.set $a6 (i32x4.add (local.get $a6) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=2080 (local.get $w)))))
        (local.set $a7 (i32x4.add (local.get $a7) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=2096 (local.get $w)))))
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
        (br_if $pair (i32.lt_u (local.get $xp) (local.get $xe))))
      (local.set $w (i32.add (local.get $w) (i32.const 2048)))
      (v128.store offset=0 (local.get $out) (call $pack (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
      (v128.store offset=16 (local.get $out) (call $pack (local.get $a4) (local.get $a5) (local.get $a6) (local.get $a7)))
      (local.set $out (i32.add (local.get $out) (i32.const 32)))
      (br_if $group (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; Two lanes, one layer, sharing each weight load: $n blocks of 16 outputs.
  (func $layer2 (param $xa i32) (param $xb i32) (param $w i32) (param $n i32) (param $oa i32) (param $ob i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $pa v128) (local $pb v128) (local $v v128) (local $k i32)
    (loop $block
      (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
      (local.set $b2 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
      (local.set $k (i32.const 0))
      (loop $pair
        (local.set $pa (v128.load32_splat (i32.add (local.get $xa) (local.get $k))))
        (local.set $pb (v128.load32_splat (i32.add (local.get $xb) (local.get $k))))
        (local.set $v (v128.load offset=0 (local.get $w)))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $pa) (local.get $v))))
        (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $pb) (local.get $v))))
        (local.set $v (v128.load offset=16 (local.get $w)))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $pa) (local.get $v))))
        (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $pb) (local.get $v))))
        (local.set $v (v128.load offset=32 (local.get $w)))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $pa) (local.get $v))))
        (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $pb) (local.get $v))))
        (local.set $v (v128.load offset=48 (local.get $w)))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $pa) (local.get $v))))
        (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $pb) (local.get $v))))
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (br_if $pair (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (i32.const 128))))
      (v128.store (local.get $oa) (call $pack (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
      (v128.store (local.get $ob) (call $pack (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
      (local.set $oa (i32.add (local.get $oa) (i32.const 16)))
      (local.set $ob (i32.add (local.get $ob) (i32.const 16)))
      (br_if $block (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; 64 bytes at $src widened to 64 i16 at $dst
  (func $widen (param $src i32) (param $dst i32)
    (local $v v128)
    (local.set $v (v128.load offset=0 (local.get $src)))
    (v128.store offset=0 (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $v)))
    (v128.store offset=16 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $v)))
    (local.set $v (v128.load offset=16 (local.get $src)))
    (v128.store offset=32 (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $v)))
    (v128.store offset=48 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $v)))
    (local.set $v (v128.load offset=32 (local.get $src)))
    (v128.store offset=64 (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $v)))
    (v128.store offset=80 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $v)))
    (local.set $v (v128.load offset=48 (local.get $src)))
    (v128.store offset=96 (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $v)))
    (v128.store offset=112 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $v))))

  ;; Applies the keystream y[0..512) of $lane to 512 bytes at $data in place and sets the next state
  ;; s'[j] = u[j] + sum_m c[64m + j] (c = ciphertext: the output when encrypting, the input when
  ;; decrypting).
  (func $crypt (param $lane i32) (param $data i32) (param $dec i32)
    (local $f0 v128) (local $f1 v128) (local $f2 v128) (local $f3 v128)
    (local $ks i32) (local $end i32) (local $d v128) (local $c v128)
    (local.set $ks (i32.add (local.get $lane) (i32.const 384)))
    (local.set $end (i32.add (local.get $data) (i32.const 512)))
    (if (local.get $dec)
      (then
        (loop $m
          (local.set $d (v128.load offset=0 (local.get $data)))
          (v128.store offset=0 (local.get $data) (i8x16.sub (local.get $d) (v128.load offset=0 (local.get $ks))))
          (local.set $f0 (i8x16.add (local.get $f0) (local.get $d)))
          (local.set $d (v128.load offset=16 (local.get $data)))
          (v128.store offset=16 (local.get $data) (i8x16.sub (local.get $d) (v128.load offset=16 (local.get $ks))))
          (local.set $f1 (i8x16.add (local.get $f1) (local.get $d)))
          (local.set $d (v128.load offset=32 (local.get $data)))
          (v128.store offset=32 (local.get $data) (i8x16.sub (local.get $d) (v128.load offset=32 (local.get $ks))))
          (local.set $f2 (i8x16.add (local.get $f2) (local.get $d)))
          (local.set $d (v128.load offset=48 (local.get $data)))
          (v128.store offset=48 (local.get $data) (i8x16.sub (local.get $d) (v128.load offset=48 (local.get $ks))))
          (local.set $f3 (i8x16.add (local.get $f3) (local.get $d)))
          (local.set $ks (i32.add (local.get $ks) (i32.const 64)))
          (br_if $m (i32.lt_u (local.tee $data (i32.add (local.get $data) (i32.const 64))) (local.get $end)))))
      (else
        (loop $m
          (local.set $c (i8x16.add (v128.load offset=0 (local.get $data)) (v128.load offset=0 (local.get $ks))))
          (v128.store offset=0 (local.get $data) (local.get $c))
          (local.set $f0 (i8x16.add (local.get $f0) (local.get $c)))
          (local.set $c (i8x16.add (v128.load offset=16 (local.get $data)) (v128.load offset=16 (local.get $ks))))
          (v128.store offset=16 (local.get $data) (local.get $c))
          (local.set $f1 (i8x16.add (local.get $f1) (local.get $c)))
          (local.set $c (i8x16.add (v128.load offset=32 (local.get $data)) (v128.load offset=32 (local.get $ks))))
          (v128.store offset=32 (local.get $data) (local.get $c))
          (local.set $f2 (i8x16.add (local.get $f2) (local.get $c)))
          (local.set $c (i8x16.add (v128.load offset=48 (local.get $data)) (v128.load offset=48 (local.get $ks))))
          (v128.store offset=48 (local.get $data) (local.get $c))
          (local.set $f3 (i8x16.add (local.get $f3) (local.get $c)))
          (local.set $ks (i32.add (local.get $ks) (i32.const 64)))
          (br_if $m (i32.lt_u (local.tee $data (i32.add (local.get $data) (i32.const 64))) (local.get $end))))))
    ;; $ks now points at the carry u = y[512..576)
    (v128.store offset=0 (local.get $lane) (i8x16.add (local.get $f0) (v128.load offset=0 (local.get $ks))))
    (v128.store offset=16 (local.get $lane) (i8x16.add (local.get $f1) (v128.load offset=16 (local.get $ks))))
    (v128.store offset=32 (local.get $lane) (i8x16.add (local.get $f2) (v128.load offset=32 (local.get $ks))))
    (v128.store offset=48 (local.get $lane) (i8x16.add (local.get $f3) (v128.load offset=48 (local.get $ks))))
    (call $widen (local.get $lane) (i32.add (local.get $lane) (i32.const 64))))

  ;; Runs $steps whole steps of one lane over $data in place ($dec: 0 encrypt, 1 decrypt).
  (func (export "run1") (param $lane i32) (param $data i32) (param $steps i32) (param $dec i32)
    (if (i32.eqz (local.get $steps)) (then (return)))
    (call $widen (local.get $lane) (i32.add (local.get $lane) (i32.const 64)))
    (loop $step
      (call $layer1 (i32.add (local.get $lane) (i32.const 64)) (i32.const 0) (i32.const 2)
        (i32.add (local.get $lane) (i32.const 320)))
      (call $widen (i32.add (local.get $lane) (i32.const 320)) (i32.add (local.get $lane) (i32.const 192)))
      (call $layer1 (i32.add (local.get $lane) (i32.const 192)) (i32.const 8192) (i32.const 18)
        (i32.add (local.get $lane) (i32.const 384)))
      (call $crypt (local.get $lane) (local.get $data) (local.get $dec))
      (local.set $data (i32.add (local.get $data) (i32.const 512)))
      (br_if $step (local.tee $steps (i32.sub (local.get $steps) (i32.const 1))))))

  ;; Runs $steps whole steps of two lanes at once (each weight load serves both).
  (func (export "run2") (param $la i32) (param $da i32) (param $lb i32) (param $db i32) (param $steps i32) (param $dec i32)
    (if (i32.eqz (local.get $steps)) (then (return)))
    (call $widen (local.get $la) (i32.add (local.get $la) (i32.const 64)))
    (call $widen (local.get $lb) (i32.add (local.get $lb) (i32.const 64)))
    (loop $step
      (call $layer2 (i32.add (local.get $la) (i32.const 64)) (i32.add (local.get $lb) (i32.const 64))
        (i32.const 0) (i32.const 4)
        (i32.add (local.get $la) (i32.const 320)) (i32.add (local.get $lb) (i32.const 320)))
      (call $widen (i32.add (local.get $la) (i32.const 320)) (i32.add (local.get $la) (i32.const 192)))
      (call $widen (i32.add (local.get $lb) (i32.const 320)) (i32.add (local.get $lb) (i32.const 192)))
      (call $layer2 (i32.add (local.get $la) (i32.const 192)) (i32.add (local.get $lb) (i32.const 192))
        (i32.const 8192) (i32.const 36)
        (i32.add (local.get $la) (i32.const 384)) (i32.add (local.get $lb) (i32.const 384)))
      (call $crypt (local.get $la) (local.get $da) (local.get $dec))
      (call $crypt (local.get $lb) (local.get $db) (local.get $dec))
      (local.set $da (i32.add (local.get $da) (i32.const 512)))
      (local.set $db (i32.add (local.get $db) (i32.const 512)))
      (br_if $step (local.tee $steps (i32.sub (local.get $steps) (i32.const 1))))))
)
