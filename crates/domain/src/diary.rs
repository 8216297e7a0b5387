//! Diary appointments for scheduled responses: slots by area, day and time, each with a
//! capacity. A slot is a stream of its own, so bookings against it are decided under the
//! write lock: two handlers racing for the last place cannot both have it.

use crate::aggregate::{Aggregate, FoldError, Folding};
use crate::incident::{IncidentId, IncidentRef};
use crate::stream::{StreamId, StreamKind};
use crate::text::{Code, Invalid};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

/// A slot: an area (beat, sector or station code), a day and a start time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SlotKey {
    pub area: Code,
    pub date: Date,
    pub time: Time,
}

impl SlotKey {
    pub fn parse(area: &str, date: &str, time: &str) -> Result<Self, Invalid> {
        Ok(Self {
            area: Code::parse("area", area)?,
            date: date.trim().parse().map_err(|_| {
                Invalid::new("date", format!("'{date}' is not a date; use YYYY-MM-DD"))
            })?,
            time: time
                .trim()
                .parse()
                .map_err(|_| Invalid::new("time", format!("'{time}' is not a time; use HH:MM")))?,
        })
    }

    pub fn stream(&self) -> String {
        <Slot as crate::aggregate::Aggregate>::stream(self).to_string()
    }

    /// The key as its stream names it, `area/date/HH:MM`.
    pub fn from_stream_key(key: &str) -> Result<Self, Invalid> {
        let mut parts = key.splitn(3, '/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(area), Some(date), Some(time)) => Self::parse(area, date, time),
            _ => Err(Invalid::new(
                "stream",
                format!("'{key}' is not a diary slot (area/date/time)"),
            )),
        }
    }

    /// The stream prefix of every slot of an area on a day.
    pub fn day_prefix(area: &Code, date: Date) -> String {
        crate::stream::StreamId::prefix(crate::stream::StreamKind::Diary, format!("{area}/{date}/"))
    }

    /// The moment the slot starts in the force's time zone (none for a time a clock change
    /// skips).
    pub fn starts_at(&self, time_zone: &jiff::tz::TimeZone) -> Option<jiff::Timestamp> {
        self.date
            .to_datetime(self.time)
            .to_zoned(time_zone.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    pub fn label(&self) -> String {
        format!(
            "{} {} {}",
            self.area,
            self.date,
            self.time.strftime("%H:%M")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DiaryEvent {
    #[strum(serialize = "diary_slot_opened")]
    SlotOpened { key: SlotKey, capacity: u32 },
    #[strum(serialize = "appointment_booked")]
    Booked {
        incident: IncidentId,
        reference: IncidentRef,
    },
    #[strum(serialize = "appointment_cancelled")]
    Cancelled {
        incident: IncidentId,
        reason: String,
    },
    #[strum(serialize = "appointment_missed")]
    Missed {
        incident: IncidentId,
        reason: String,
    },
    /// A crime scene investigator's attendance at a crime's scene (issue 15: CSI attendance
    /// is booked into the force diary, so the CSI team's capacity is one diary's).
    #[strum(serialize = "scene_attendance_booked")]
    SceneBooked {
        crime: uuid::Uuid,
        request: uuid::Uuid,
        reference: String,
    },
    /// The attendance moved to another slot, or the request cancelled.
    #[strum(serialize = "scene_attendance_released")]
    SceneReleased {
        crime: uuid::Uuid,
        request: uuid::Uuid,
        reason: String,
    },
}

/// A CSI attendance in a slot: the crime and its request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneBooking {
    pub crime: uuid::Uuid,
    pub request: uuid::Uuid,
    /// The crime's reference, as the diary shows it.
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub incident: IncidentId,
    pub reference: IncidentRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub key: SlotKey,
    pub capacity: u32,
    /// Appointments that stand (not cancelled or missed).
    pub bookings: Vec<Booking>,
    pub missed: Vec<Booking>,
    /// CSI attendances booked here (they take a place as an appointment does).
    pub scenes: Vec<SceneBooking>,
}

impl Slot {
    pub fn free(&self) -> u32 {
        let taken = self.bookings.len() + self.scenes.len();
        self.capacity
            .saturating_sub(u32::try_from(taken).unwrap_or(u32::MAX))
    }

    pub fn replay<'a>(events: impl IntoIterator<Item = &'a DiaryEvent>) -> Option<Slot> {
        events.into_iter().fold(None, Slot::step)
    }

    /// Fold one event; `None` until the slot is opened (anything before that is ignored).
    pub fn step(slot: Option<Slot>, event: &DiaryEvent) -> Option<Slot> {
        let mut slot = slot;
        match (slot.as_mut(), event) {
            (None, DiaryEvent::SlotOpened { key, capacity }) => {
                slot = Some(Slot {
                    key: key.clone(),
                    capacity: *capacity,
                    bookings: Vec::new(),
                    missed: Vec::new(),
                    scenes: Vec::new(),
                });
            }
            (
                Some(s),
                DiaryEvent::SceneBooked {
                    crime,
                    request,
                    reference,
                },
            ) => s.scenes.push(SceneBooking {
                crime: *crime,
                request: *request,
                reference: reference.clone(),
            }),
            (Some(s), DiaryEvent::SceneReleased { request, .. }) => {
                s.scenes.retain(|b| b.request != *request)
            }
            (
                Some(s),
                DiaryEvent::Booked {
                    incident,
                    reference,
                },
            ) => s.bookings.push(Booking {
                incident: *incident,
                reference: reference.clone(),
            }),
            (Some(s), DiaryEvent::Cancelled { incident, .. }) => {
                s.bookings.retain(|b| b.incident != *incident)
            }
            (Some(s), DiaryEvent::Missed { incident, .. }) => {
                if let Some(i) = s.bookings.iter().position(|b| b.incident == *incident) {
                    s.missed.push(s.bookings.remove(i));
                }
            }
            _ => {}
        }
        slot
    }

    /// Book an incident into the slot: refused when it is full (no double booking) or the
    /// incident already has this slot.
    pub fn book(
        &self,
        incident: IncidentId,
        reference: &IncidentRef,
    ) -> Result<DiaryEvent, crate::incident::Rejected> {
        if self.bookings.iter().any(|b| b.incident == incident) {
            return Err(crate::incident::Rejected {
                code: "already_booked",
                reason: format!(
                    "incident {reference} already has the {} slot",
                    self.key.label()
                ),
            });
        }
        self.has_room()?;
        Ok(DiaryEvent::Booked {
            incident,
            reference: reference.clone(),
        })
    }
}

impl Slot {
    /// Refused when every place is taken: no double booking.
    fn has_room(&self) -> Result<(), crate::incident::Rejected> {
        if self.free() == 0 {
            return Err(crate::incident::Rejected {
                code: "slot_full",
                reason: format!(
                    "the {} slot is full ({} booked): choose another slot",
                    self.key.label(),
                    self.capacity
                ),
            });
        }
        Ok(())
    }

    /// Book a CSI attendance into the slot: refused when it is full or the request already
    /// has this slot.
    pub fn book_scene(
        &self,
        crime: uuid::Uuid,
        request: uuid::Uuid,
        reference: &str,
    ) -> Result<DiaryEvent, crate::incident::Rejected> {
        if self.scenes.iter().any(|b| b.request == request) {
            return Err(crate::incident::Rejected {
                code: "already_booked",
                reason: format!(
                    "the CSI request on {reference} already has the {} slot",
                    self.key.label()
                ),
            });
        }
        self.has_room()?;
        Ok(DiaryEvent::SceneBooked {
            crime,
            request,
            reference: reference.to_owned(),
        })
    }
}

impl std::fmt::Display for SlotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.area,
            self.date,
            self.time.strftime("%H:%M")
        )
    }
}

impl Aggregate for Slot {
    type Id = SlotKey;
    type Event = DiaryEvent;

    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        Slot::step(state, e.event()).ok_or_else(|| e.misfit("the slot was never opened"))
    }

    fn stream(key: &SlotKey) -> StreamId {
        StreamId::new(StreamKind::Diary, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_key_round_trips_through_its_stream() {
        let key = SlotKey::parse("LS8", "2026-11-24", "09:30").unwrap();
        let stream = crate::stream::StreamId::parse(&key.stream()).unwrap();
        assert_eq!(stream.kind(), crate::stream::StreamKind::Diary);
        assert_eq!(SlotKey::from_stream_key(stream.key()).unwrap(), key);
        assert!(SlotKey::from_stream_key("LS8/2026-11-24").is_err());
    }
    use uuid::Uuid;

    fn key() -> SlotKey {
        SlotKey::parse("ls8", "2026-11-24", "10:00").unwrap()
    }

    /// A CSI attendance takes a place as an appointment does (issue 15: attendance booked
    /// into the diary); released, the place is free again.
    #[test]
    fn scene_attendances_share_the_slots_capacity_with_appointments() {
        let r = IncidentRef::parse("20261123-0001").unwrap();
        let (crime, request) = (Uuid::from_u128(7), Uuid::from_u128(8));
        let mut events = vec![DiaryEvent::SlotOpened {
            key: key(),
            capacity: 2,
        }];
        let slot = Slot::replay(&events).unwrap();
        events.push(slot.book(IncidentId(Uuid::from_u128(1)), &r).unwrap());
        let slot = Slot::replay(&events).unwrap();
        events.push(slot.book_scene(crime, request, "CR-2026-000001").unwrap());
        let slot = Slot::replay(&events).unwrap();
        assert_eq!(slot.free(), 0);
        assert_eq!(slot.scenes.len(), 1);
        assert_eq!(
            slot.book_scene(crime, request, "CR-2026-000001")
                .unwrap_err()
                .code,
            "already_booked"
        );
        assert_eq!(
            slot.book_scene(crime, Uuid::from_u128(9), "CR-2026-000001")
                .unwrap_err()
                .code,
            "slot_full"
        );
        events.push(DiaryEvent::SceneReleased {
            crime,
            request,
            reason: "cancelled".into(),
        });
        let slot = Slot::replay(&events).unwrap();
        assert_eq!(slot.free(), 1);
        assert!(slot.scenes.is_empty());
    }

    #[test]
    fn a_full_slot_refuses_another_booking() {
        let r = |n| IncidentRef::parse(&format!("20261123-000{n}")).unwrap();
        let mut events = vec![DiaryEvent::SlotOpened {
            key: key(),
            capacity: 2,
        }];
        for n in 1..=2 {
            let slot = Slot::replay(&events).unwrap();
            events.push(slot.book(IncidentId(Uuid::from_u128(n)), &r(n)).unwrap());
        }
        let slot = Slot::replay(&events).unwrap();
        assert_eq!(slot.free(), 0);
        assert_eq!(
            slot.book(IncidentId(Uuid::from_u128(3)), &r(3))
                .unwrap_err()
                .code,
            "slot_full"
        );
        events.push(DiaryEvent::Cancelled {
            incident: IncidentId(Uuid::from_u128(1)),
            reason: "caller away".into(),
        });
        let slot = Slot::replay(&events).unwrap();
        assert_eq!(slot.free(), 1, "a cancellation frees the place");
        assert!(slot.book(IncidentId(Uuid::from_u128(3)), &r(3)).is_ok());
        assert_eq!(
            slot.book(IncidentId(Uuid::from_u128(2)), &r(2))
                .unwrap_err()
                .code,
            "already_booked"
        );
    }

    #[test]
    fn slots_have_readable_streams_and_checked_input() {
        assert_eq!(key().stream(), "diary/LS8/2026-11-24/10:00");
        assert_eq!(
            SlotKey::parse("LS8", "tomorrow", "10:00")
                .unwrap_err()
                .field,
            "date"
        );
        assert_eq!(
            SlotKey::parse("LS8", "2026-11-24", "ten")
                .unwrap_err()
                .field,
            "time"
        );
    }
}
