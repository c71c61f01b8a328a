"""
The one road every e-mail takes: queue a row, send it after commit, once.

`queueing` writes the rows and hands them to a worker, `delivery` claims and
sends them, `mime` builds the message that goes over SMTP.

Delivery guarantees, and the one window that remains:

* `queue_email` writes the row inside the caller's transaction and enqueues
  the send task only after commit (`queue_emails`: several rows, a task per
  batch; `queue_emails_once`: the same for keys another transaction may be
  queueing, the database keeping each key once).
  If the broker is down the caller's transaction is unaffected; the row stays
  pending and `requeue_due_mail` (Celery beat, every minute) enqueues it again.
* A sender claims rows with SELECT ... FOR UPDATE SKIP LOCKED and marks them
  `sending` before it talks to SMTP (on PostgreSQL in one UPDATE ... RETURNING
  that also reads them), so two tasks for the same row, or a task and the
  drain, never both send it.
* After the SMTP server accepts a message its row is marked `sent` within
  `delivery.MARK_SENT_WITHIN_SECONDS` (0.1 s): the rows accepted meanwhile
  are marked in one UPDATE, before the next message once that time has
  passed, and before a failure or a renewal of the lease is recorded. A
  crash in between (a killed worker, a lost database connection) is the only
  way an e-mail can go out twice: the claim is then released (by the
  redelivered task, or by the drain once the claim's lease has run out) and
  the messages accepted in that last tenth of a second are sent again. Over
  a slow connection (a message a tenth of a second or more) that is the one
  message in flight, as when each was marked on its own.
* A claim is a lease of MAIL_CLAIM_TIMEOUT_SECONDS (60), renewed by its
  sender every quarter of that while it works through its batch, and checked
  before each message: a sender that lost its lease skips the rest. So the
  rows a killed worker held are released by the drain (every minute) within
  about two minutes, instead of waiting for Redis to redeliver the task (its
  visibility timeout is hours), and only what was accepted in the last
  MARK_SENT_WITHIN_SECONDS before the kill can go twice; the repeated
  message carries the same Message-ID, so mail clients show it once.
  On PostgreSQL the marks are committed without waiting for the disk (see
  `delivery._commits_without_flush`), which adds a crash of the database
  server itself, within a fraction of a second of a mark, to that window.
"""
