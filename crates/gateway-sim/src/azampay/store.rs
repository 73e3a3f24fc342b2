//! The simulated pushes, bounded: a development server that runs for hours (a soak, a long
//! demonstration) must not grow with every payment, nor slow down looking for a duplicate
//! `externalId`. The oldest transactions are forgotten beyond [`MAX_TRANSACTIONS`]; a
//! forgotten one is "not found" to the status query and to the controls, and its `externalId`
//! may be used again.

use std::collections::{HashMap, VecDeque};

use super::Txn;

/// How many transactions are remembered.
pub(crate) const MAX_TRANSACTIONS: usize = 5_000;

/// The transactions by id, with an index of their `externalId` and their order of arrival.
#[derive(Default)]
pub(crate) struct Txns {
    by_id: HashMap<String, Txn>,
    by_external_id: HashMap<String, String>,
    arrival: VecDeque<String>,
}

impl Txns {
    pub(crate) fn get(&self, id: &str) -> Option<&Txn> {
        self.by_id.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Txn> {
        self.by_id.get_mut(id)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Txn> {
        self.by_id.values()
    }

    /// Whether a remembered transaction has this `externalId`.
    pub(crate) fn has_external_id(&self, external_id: &str) -> bool {
        self.by_external_id.contains_key(external_id)
    }

    /// Adds `txn`, forgetting the oldest beyond [`MAX_TRANSACTIONS`].
    pub(crate) fn insert(&mut self, txn: Txn) {
        while self.arrival.len() >= MAX_TRANSACTIONS {
            let Some(oldest) = self.arrival.pop_front() else {
                break;
            };
            if let Some(old) = self.by_id.remove(&oldest) {
                self.by_external_id.remove(&old.external_id);
            }
        }
        self.arrival.push_back(txn.id.clone());
        self.by_external_id
            .insert(txn.external_id.clone(), txn.id.clone());
        self.by_id.insert(txn.id.clone(), txn);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::TxnState;
    use super::*;
    use crate::amount::Amount;

    fn txn(n: usize) -> Txn {
        Txn {
            id: format!("t{n}"),
            external_id: format!("e{n}"),
            amount: Amount::parse("1000", "TZS").unwrap(),
            msisdn: "255754123456".into(),
            provider: "Airtel".into(),
            additional: None,
            state: TxnState::Pending,
            mno_reference: "MNO".into(),
            created: Instant::now(),
        }
    }

    #[test]
    fn finds_by_id_and_external_id() {
        let mut t = Txns::default();
        t.insert(txn(1));
        assert!(t.get("t1").is_some() && t.get("t2").is_none());
        assert!(t.has_external_id("e1") && !t.has_external_id("t1"));
        if let Some(x) = t.get_mut("t1") {
            x.state = TxnState::Success;
        }
        assert!(t.values().all(|x| x.state == TxnState::Success));
    }

    #[test]
    fn forgets_the_oldest_beyond_the_bound() {
        let mut t = Txns::default();
        for n in 0..MAX_TRANSACTIONS + 5 {
            t.insert(txn(n));
        }
        assert_eq!(t.len(), MAX_TRANSACTIONS);
        for n in 0..5 {
            assert!(t.get(&format!("t{n}")).is_none(), "t{n} kept");
            assert!(!t.has_external_id(&format!("e{n}")), "e{n} kept");
        }
        assert!(t.get("t5").is_some() && t.has_external_id("e5"));
        assert!(t.get(&format!("t{}", MAX_TRANSACTIONS + 4)).is_some());
        assert_eq!(t.by_external_id.len(), MAX_TRANSACTIONS);
        assert_eq!(t.arrival.len(), MAX_TRANSACTIONS);
    }
}
