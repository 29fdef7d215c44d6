//! Whether a tensor's elements lie in memory in its logical order: on a GPU, burn's reduction along
//! an axis of a strided view (a transposed [N, 3] read as [3, N]) runs far slower than over
//! contiguous memory, and burn's element-wise ops may hand back an operand's buffer, layout
//! included, as their output.

use burn::backend::{Cube, Flex};
use burn::tensor::Tensor;

/// True when `tensor` is stored contiguously in its logical (row-major) order; none for a backend
/// this does not know.
pub fn is_contiguous<const D: usize>(tensor: &Tensor<D>) -> Option<bool> {
    if let Ok(t) = tensor.clone().try_into_primitive::<Cube>() {
        return Some(t.is_contiguous());
    }
    if let Ok(t) = tensor.clone().try_into_primitive::<Flex>() {
        return Some(t.is_contiguous());
    }
    None
}

/// `tensor` stored contiguously: itself when it is (or the backend is unknown), else a copy (a
/// reshape of a strided tensor copies it into its logical order).
pub fn contiguous<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    if is_contiguous(&tensor) != Some(false) {
        return tensor;
    }
    let shape = tensor.dims();
    tensor
        .reshape([shape.iter().product::<usize>()])
        .reshape(shape)
}

/// Runs `read` on a tensor's f32 values where they lie when it is a contiguous tensor of burn's CPU
/// backend (no copy into a transfer buffer); none otherwise.
pub fn with_host_values<const D: usize, R>(
    tensor: &Tensor<D>,
    read: impl FnOnce(&[f32]) -> R,
) -> Option<R> {
    let t = tensor.clone().try_into_primitive::<Flex>().ok()?;
    t.as_slice::<f32>().map(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn a_transposed_view_is_strided_and_its_copy_is_not() {
        let device = Device::flex();
        let rows = Tensor::<2>::zeros([3, 50], &device);
        assert_eq!(is_contiguous(&rows), Some(true));
        assert_eq!(is_contiguous(&rows.clone().transpose()), Some(false));
        let values = Tensor::<2>::from_data([[1.0f32, 2.0], [3.0, 4.0]], &device);
        assert_eq!(
            with_host_values(&values, <[f32]>::to_vec),
            Some(vec![1.0, 2.0, 3.0, 4.0])
        );
        assert_eq!(
            with_host_values(&values.clone().transpose(), <[f32]>::to_vec),
            None
        );
        let copied = contiguous(values.transpose());
        assert_eq!(is_contiguous(&copied), Some(true));
        assert_eq!(
            with_host_values(&copied, <[f32]>::to_vec),
            Some(vec![1.0, 3.0, 2.0, 4.0])
        );
    }
}
