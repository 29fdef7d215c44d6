//! The core's choice enums as clap value enums: each name and its summary from `Choice`, so the core
//! stays free of clap and the command line accepts exactly the names the settings and JSON use.

use clap::builder::PossibleValue;

use crate::choice::Choice;

/// The name with its summary, the summary's closing period dropped as clap's derive drops it.
fn possible_value<T: Choice>(choice: T) -> PossibleValue {
    let summary = choice.summary();
    let help = summary.strip_suffix('.').unwrap_or(&summary).to_owned();
    PossibleValue::new(choice.name()).help(help)
}

macro_rules! value_enums {
    ($($choice:ty),+ $(,)?) => {
        $(
            impl clap::ValueEnum for $choice {
                fn value_variants<'a>() -> &'a [Self] {
                    <$choice as Choice>::ALL
                }

                fn to_possible_value(&self) -> Option<PossibleValue> {
                    Some(possible_value(*self))
                }
            }
        )+
    };
}

value_enums!(
    crate::compute::DevicePreference,
    crate::render::ColorMode,
    crate::render::ViewPreset,
    crate::render::MovieView,
    crate::render::HoldSteady,
    crate::sampler::FlowDirection,
    crate::sampler::CNoiseMode,
    crate::sampler::StartNoise,
    crate::sampler::ChurnNoise,
    crate::sampler::Solver,
    crate::sampler::ScheduleTimes,
    crate::trajectory::FrameOrder,
    crate::trajectory::SourceFormat,
    crate::trajectory::ImportAlignment,
    crate::trajectory::FrameSchedule,
    crate::sampler::FlowSolver,
    crate::sampler::AlphaBarSchedule,
    crate::denoiser::learned::PreconditionMode,
    crate::denoiser::learned::LossMode,
    crate::denoiser::learned::ConditioningMode,
    crate::denoiser::learned::LevelInputs,
    crate::denoiser::learned::OutputForm,
    crate::denoiser::learned::PairBias,
);

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use crate::sampler::FlowDirection;

    #[test]
    fn clap_accepts_the_core_names_and_shows_their_summaries() {
        let value = FlowDirection::NoiseAtZero.to_possible_value().unwrap();
        assert_eq!(value.get_name(), "noise-at-zero");
        assert!(
            value
                .get_help()
                .unwrap()
                .to_string()
                .starts_with("x_t = t x0")
        );
        assert_eq!(
            FlowDirection::from_str("noise-at-one", false),
            Ok(FlowDirection::NoiseAtOne)
        );
        assert!(FlowDirection::from_str("noise_at_one", false).is_err());
    }
}
