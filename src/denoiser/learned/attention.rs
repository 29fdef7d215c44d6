//! Softmax attention in blocks of queries, with its own backward pass: FlashAttention-2's algorithm
//! (Dao 2023, algorithms 1 and 2), tiled over queries only (every block sees all keys), written with
//! tensor operations rather than one kernel. The
//! forward keeps only the output and each query's log-sum-exp; the backward recomputes each block's
//! probabilities from them. No tensor of R × R logits ever exists, so memory grows as O(R) plus one
//! block, where burn's autodiff of `softmax(q kᵀ) v` holds four R × R tensors per head.
//!
//! burn 0.22 reaches a custom backward only through a backend extension (`#[backend_extension]`):
//! the concrete backends (flex on the CPU, cube on wgpu) run the blocked forward, and `Autodiff<B>`
//! records the backward below.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, Backend, Cube, Dispatch, DispatchKindConversion, DispatchTensor, Flex,
    backend_extension,
};
use burn::tensor::Tensor;

/// Elements of one block's [batch, heads, queries, keys] probabilities: 2²⁴ f32 is 64 MiB, and the
/// backward holds about four such tensors at once.
const BLOCK_ELEMENTS: usize = 1 << 24;

/// Queries per block for `keys` keys over `batch × heads` attention maps.
pub fn block_queries(batch_heads: usize, keys: usize) -> usize {
    (BLOCK_ELEMENTS / (batch_heads * keys).max(1)).max(1)
}

/// Bytes one block's working tensors take (four f32 probability-sized tensors), the attention's
/// whole extra memory beyond its O(R) inputs and outputs.
pub fn block_bytes(batch_heads: usize, keys: usize) -> u64 {
    let queries = block_queries(batch_heads, keys).min(keys);
    4 * 4 * (batch_heads * queries * keys) as u64
}

/// softmax(q kᵀ) v over the last two axes, in blocks of queries. q, k: [B, H, R, d], v: [B, H, R, e].
/// Scale q beforehand.
pub fn blocked_attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as BlockedAttentionBackend>::blocked_attention(
        q.into_dispatch(),
        k.into_dispatch(),
        v.into_dispatch(),
    ))
}

/// The backend extension that carries the blocked attention and its backward.
#[backend_extension(Flex, Cube, Autodiff)]
pub trait BlockedAttentionBackend: Backend {
    /// softmax(q kᵀ) v in blocks of queries.
    fn blocked_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

fn wrap<B: Backend>(primitive: FloatTensor<B>) -> Tensor<4>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    Tensor::from_primitive::<B>(primitive)
}

fn unwrap<B: Backend, const D: usize>(tensor: Tensor<D>) -> FloatTensor<B>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    tensor
        .try_into_primitive::<B>()
        .expect("a tensor made on backend B stays on B")
}

fn concrete_attention<B: Backend>(
    q: FloatTensor<B>,
    k: FloatTensor<B>,
    v: FloatTensor<B>,
) -> FloatTensor<B>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    let (q, k, v) = (wrap::<B>(q), wrap::<B>(k), wrap::<B>(v));
    let step = block_queries(q.dims()[0] * q.dims()[1], k.dims()[2]);
    unwrap::<B, 4>(forward(q, k, v, step).0)
}

impl BlockedAttentionBackend for Flex {
    fn blocked_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        concrete_attention::<Self>(q, k, v)
    }
}

impl BlockedAttentionBackend for Cube {
    fn blocked_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        concrete_attention::<Self>(q, k, v)
    }
}

/// The forward, `step` queries a block: the output [B, H, R, e] and each query's log-sum-exp
/// [B, H, R, 1].
fn forward(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, step: usize) -> (Tensor<4>, Tensor<4>) {
    let r = q.dims()[2];
    let k_t = k.swap_dims(2, 3);
    let (mut outputs, mut sums) = (Vec::new(), Vec::new());
    for start in (0..r).step_by(step) {
        let end = (start + step).min(r);
        let logits = q.clone().slice_dim(2, start..end).matmul(k_t.clone());
        let max = logits.clone().max_dim(3).detach();
        let weights = (logits - max.clone()).exp();
        let total = weights.clone().sum_dim(3);
        outputs.push(weights.matmul(v.clone()) / total.clone());
        sums.push(max + total.log());
    }
    (Tensor::cat(outputs, 2), Tensor::cat(sums, 2))
}

/// Gradients of q, k, v from the output's gradient, recomputing each block's probabilities
/// P = exp(q kᵀ − lse) (FlashAttention-2, Dao 2023, algorithm 2): dV = Pᵀ dO, dS = P ⊙ (dO vᵀ − rowsum(dO ⊙ O)),
/// dQ = dS k, dK = dSᵀ q.
fn backward(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    output: Tensor<4>,
    log_sum_exp: Tensor<4>,
    d_output: Tensor<4>,
    step: usize,
) -> [Tensor<4>; 3] {
    let r = q.dims()[2];
    let row_dot = (d_output.clone() * output).sum_dim(3); // [B, H, R, 1]
    let (k_t, v_t) = (k.clone().swap_dims(2, 3), v.clone().swap_dims(2, 3));
    let mut d_k = k.zeros_like();
    let mut d_v = v.zeros_like();
    let mut d_q = Vec::new();
    for start in (0..r).step_by(step) {
        let end = (start + step).min(r);
        let q_block = q.clone().slice_dim(2, start..end);
        let d_out_block = d_output.clone().slice_dim(2, start..end);
        let probabilities = (q_block.clone().matmul(k_t.clone())
            - log_sum_exp.clone().slice_dim(2, start..end))
        .exp();
        d_v = d_v
            + probabilities
                .clone()
                .swap_dims(2, 3)
                .matmul(d_out_block.clone());
        let d_scores = probabilities
            * (d_out_block.matmul(v_t.clone()) - row_dot.clone().slice_dim(2, start..end));
        d_q.push(d_scores.clone().matmul(k.clone()));
        d_k = d_k + d_scores.swap_dims(2, 3).matmul(q_block);
    }
    [Tensor::cat(d_q, 2), d_k, d_v]
}

#[derive(Debug)]
struct BlockedAttentionBackward;

impl<B: Backend> Backward<B, 3> for BlockedAttentionBackward
where
    DispatchTensor: DispatchKindConversion<B>,
{
    /// q, k, v, the output and the log-sum-exp.
    type State = [FloatTensor<B>; 5];

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let d_output = wrap::<B>(grads.consume::<B>(&ops.node));
        let [q, k, v, output, log_sum_exp] = ops.state.map(wrap::<B>);
        let step = block_queries(q.dims()[0] * q.dims()[1], k.dims()[2]);
        let gradients = backward(q, k, v, output, log_sum_exp, d_output, step);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<B>(node.id, unwrap::<B, 4>(gradient));
            }
        }
    }
}

impl<B, C> BlockedAttentionBackend for Autodiff<B, C>
where
    B: Backend + BlockedAttentionBackend,
    C: CheckpointStrategy,
    DispatchTensor: DispatchKindConversion<B>,
{
    fn blocked_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match BlockedAttentionBackward
            .prepare::<C>([q.node(), k.node(), v.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let [q, k, v] = [q, k, v].map(|t| t.into_primitive());
                let [q_in, k_in, v_in] = [&q, &k, &v].map(|t| wrap::<B>(t.clone()));
                let step = block_queries(q_in.dims()[0] * q_in.dims()[1], k_in.dims()[2]);
                let (output, log_sum_exp) = forward(q_in, k_in, v_in, step);
                let output = unwrap::<B, 4>(output);
                let state = [q, k, v, output.clone(), unwrap::<B, 4>(log_sum_exp)];
                prep.finish(state, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::blocked_attention(
                q.into_primitive(),
                k.into_primitive(),
                v.into_primitive(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;
    use burn::tensor::activation::softmax;

    use super::*;
    use crate::noise::normal;

    fn max_difference(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    struct Case {
        q: Tensor<4>,
        k: Tensor<4>,
        v: Tensor<4>,
        /// The loss is Σ weight ⊙ output, so the output's gradient is `weight`.
        weight: Tensor<4>,
    }

    fn case(device: &Device) -> Case {
        let (b, h, r, d, e) = (2, 3, 50, 5, 4);
        Case {
            q: normal([b, h, r, d], 0.7, 1, device).require_grad(),
            k: normal([b, h, r, d], 0.7, 2, device).require_grad(),
            v: normal([b, h, r, e], 1.0, 3, device).require_grad(),
            weight: normal([b, h, r, e], 1.0, 4, device),
        }
    }

    /// burn's autodiff of softmax(q kᵀ) v: the output and the gradients of q, k, v.
    fn plain(c: &Case) -> (Tensor<4>, [Tensor<4>; 3]) {
        let output =
            softmax(c.q.clone().matmul(c.k.clone().swap_dims(2, 3)), 3).matmul(c.v.clone());
        let grads = (output.clone() * c.weight.clone()).sum().backward();
        let grad = |x: &Tensor<4>| x.grad(&grads).unwrap();
        (output, [grad(&c.q), grad(&c.k), grad(&c.v)])
    }

    fn assert_close(got: Tensor<4>, want: Tensor<4>) {
        let scale: f32 = want.clone().abs().max().into_scalar();
        assert!(scale > 1e-3, "a gradient of zero proves nothing");
        let difference = max_difference(got, want);
        assert!(difference < 1e-4 * scale, "{difference} against {scale}");
    }

    /// Blocks of 7 queries (8 blocks, the last one short) give the plain formula's output and
    /// gradients.
    #[test]
    fn blocked_forward_and_backward_match_plain_attention() {
        let device = Device::flex().autodiff();
        let c = case(&device);
        let (want_output, want_grads) = plain(&c);
        let inner = |t: &Tensor<4>| t.clone().inner();
        let (output, log_sum_exp) = forward(inner(&c.q), inner(&c.k), inner(&c.v), 7);
        assert_close(output.clone(), want_output.inner());
        let grads = backward(
            inner(&c.q),
            inner(&c.k),
            inner(&c.v),
            output,
            log_sum_exp,
            inner(&c.weight),
            7,
        );
        for (got, want) in grads.into_iter().zip(want_grads) {
            assert_close(got, want);
        }
    }

    /// Through the backend extension: autodiff reaches q, k and v, with the plain gradients, and an
    /// untracked call gives the same output.
    #[test]
    fn blocked_attention_extension_records_its_backward() {
        let device = Device::flex().autodiff();
        let c = case(&device);
        let (want_output, want_grads) = plain(&c);
        let output = blocked_attention(c.q.clone(), c.k.clone(), c.v.clone());
        assert_close(output.clone(), want_output.clone());
        let grads = (output * c.weight.clone()).sum().backward();
        for (x, want) in [&c.q, &c.k, &c.v].into_iter().zip(want_grads) {
            assert_close(x.grad(&grads).unwrap(), want);
        }
        let untracked = blocked_attention(c.q.inner(), c.k.inner(), c.v.inner());
        assert_close(untracked, want_output.inner());
    }

    #[test]
    fn blocks_stay_within_their_element_budget() {
        assert_eq!(block_queries(4, 20_000), BLOCK_ELEMENTS / 80_000);
        assert_eq!(block_queries(1, usize::MAX / 2), 1);
        assert!(block_bytes(4, 20_000) <= 16 * BLOCK_ELEMENTS as u64);
        assert_eq!(block_bytes(1, 10), 4 * 4 * 100);
    }
}
