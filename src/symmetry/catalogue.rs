//! The whole catalogue of drills the exercise guides prescribe: the six measured movements
//! and those facesym guides but does not measure yet, each with its instruction and how a hand
//! can assist the weak side or resist the movement (`facesym movements`).

use serde::Serialize;

use super::movements::{CORE_MOVEMENTS, Movement, MovementId, Validation};

/// One drill of the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Drill {
    /// Stable identifier.
    pub id: &'static str,
    /// Name shown to people.
    pub name: &'static str,
    /// What to do, in plain words.
    pub instruction: &'static str,
    /// Fingers helping the weak side, or pressing against the movement.
    pub assist_resist: &'static str,
    /// Whether facesym measures it per side.
    pub measured: bool,
    /// How far its measure is shown to be right, in words.
    pub validated: String,
}

/// A drill facesym guides (instruction, timer, sound cues) but does not measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuidedDrill {
    /// Stable identifier.
    pub id: &'static str,
    /// Name shown to people.
    pub name: &'static str,
    /// What to do, in plain words.
    pub instruction: &'static str,
    /// Fingers helping the weak side, or pressing against the movement.
    pub assist_resist: &'static str,
}

/// The guided-only drill `id`, if there is one.
pub fn guided_drill(id: &str) -> Option<&'static GuidedDrill> {
    GUIDED_ONLY.iter().find(|d| d.id == id)
}

/// Drills the guides prescribe that facesym does not measure yet, in the guides' order
/// (forehead, eyes, nose, lips).
pub const GUIDED_ONLY: [GuidedDrill; 8] = [
    GuidedDrill {
        id: "brow_furrow",
        name: "Brow furrow",
        instruction: "Frown as hard as you can: brows down and together.",
        assist_resist: "Assist: a fingertip draws the weak brow down and in. Resist: fingertips on both brows \
         hold them apart as you frown.",
    },
    GuidedDrill {
        id: "tight_eye_closure",
        name: "Tight eye closure",
        instruction: "Close your eyes firmly, then gently, in turn.",
        assist_resist: "Assist: a fingertip eases the weak upper lid down. Resist: a fingertip lifts the brow \
         lightly as you squeeze.",
    },
    GuidedDrill {
        id: "nostril_flare",
        name: "Nostril flare",
        instruction: "Flare your nostrils as if short of breath.",
        assist_resist: "Assist: a fingertip draws the weak nostril's side outward. Resist: a fingertip presses \
         lightly on the side of the nostril as it flares.",
    },
    GuidedDrill {
        id: "nostril_narrow",
        name: "Nostril narrowing",
        instruction: "Narrow your nostrils as if at a bad smell.",
        assist_resist: "Assist: a fingertip presses the weak nostril's side in. Resist: none; do it unaided.",
    },
    GuidedDrill {
        id: "lip_retraction",
        name: "Lips back (\"ee\")",
        instruction: "Pull your lips back as if saying \"ee\".",
        assist_resist: "Assist: a fingertip draws the weak mouth corner back. Resist: a fingertip holds the \
         corner in as you pull.",
    },
    GuidedDrill {
        id: "upper_lip_raise",
        name: "Upper lip raise",
        instruction: "Raise your upper lip to show your upper gum.",
        assist_resist: "Assist: a fingertip lifts the weak side of the upper lip. Resist: a fingertip presses \
         the lip down lightly as you raise it.",
    },
    GuidedDrill {
        id: "lower_lip_depress",
        name: "Lower lip down",
        instruction: "Lower your lower lip to show your lower gum.",
        assist_resist: "Assist: a fingertip draws the weak side of the lower lip down. Resist: a fingertip \
         holds the lip up lightly as you lower it.",
    },
    GuidedDrill {
        id: "lip_hold",
        name: "Hold between the lips",
        instruction: "Hold a straw or a folded paper between your lips and move it from side to side.",
        assist_resist: "Assist: none; the lips work together. Resist: pull the straw gently as you hold it.",
    },
];

/// How a hand can help a measured movement's weak side or work against the movement.
pub fn assist_resist(id: MovementId) -> &'static str {
    match id {
        MovementId::BrowLift => {
            "Assist: a fingertip lifts the weak brow along with the movement. Resist: a \
             fingertip presses the brow down lightly as you lift."
        }
        MovementId::EyeClosure => {
            "Assist: a fingertip eases the weak upper lid down. Resist: none; close gently."
        }
        MovementId::NoseWrinkle => {
            "Assist: a fingertip pushes the weak side of the nose up. Resist: a fingertip holds \
             the nostril down lightly."
        }
        MovementId::Smile => {
            "Assist: a fingertip draws the weak mouth corner up and out. Resist: a fingertip \
             holds the corner in as you smile."
        }
        MovementId::Pucker => {
            "Assist: fingertips push the weak side's lips forward. Resist: a fingertip presses \
             the lips back lightly."
        }
        MovementId::CheekPuff => {
            "Assist: a fingertip seals the weak mouth corner. Resist: press the cheek in lightly \
             and hold the air."
        }
    }
}

/// What `facesym movements` says of how far a measured movement is shown right.
fn validated(movement: &Movement) -> String {
    match movement.validation {
        Validation::KnownMovement => "generated one-sided movements of real faces read within \
                                      ±0.10 of their ratio (docs/validation.md)"
            .into(),
        Validation::Provisional(why) => why.into(),
    }
}

/// The catalogue: the measured movements in exercise order, then the guided-only drills.
pub fn catalogue() -> Vec<Drill> {
    let measured = CORE_MOVEMENTS.iter().map(|m| Drill {
        id: m.id.as_str(),
        name: m.name,
        instruction: m.instruction,
        assist_resist: assist_resist(m.id),
        measured: true,
        validated: validated(m),
    });
    let guided = GUIDED_ONLY.iter().map(|d| Drill {
        id: d.id,
        name: d.name,
        instruction: d.instruction,
        assist_resist: d.assist_resist,
        measured: false,
        validated: "not measured yet: guided only".into(),
    });
    measured.chain(guided).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id is different, the drill ids are there, and only the six are measured.
    #[test]
    fn the_catalogue_names_every_drill_once() {
        let drills = catalogue();
        let mut ids: Vec<&str> = drills.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), drills.len());
        for id in ["brow_furrow", "tight_eye_closure", "nostril_flare", "nostril_narrow"] {
            assert!(ids.contains(&id), "{id}");
        }
        for id in ["lip_retraction", "upper_lip_raise", "lower_lip_depress"] {
            assert!(ids.contains(&id), "{id}");
        }
        let measured: Vec<&str> = drills.iter().filter(|d| d.measured).map(|d| d.id).collect();
        let core: Vec<&str> = CORE_MOVEMENTS.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(measured, core);
        assert!(
            drills.iter().all(|d| !d.instruction.is_empty() && d.assist_resist.contains("Assist"))
        );
    }
}
