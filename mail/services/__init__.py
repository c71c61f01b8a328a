"""
The one road every e-mail takes: queue a row, send it after commit, once.

`queueing` writes the rows and hands them to a worker, `delivery` claims and
sends them, `mime` builds the message that goes over SMTP.

Delivery guarantees, and the one window that remains:

* `queue_email` writes the row inside the caller's transaction and enqueues
  the send task only after commit (`queue_emails`: several rows, one task).
  If the broker is down the caller's transaction is unaffected; the row stays
  pending and `requeue_due_mail` (Celery beat, every minute) enqueues it again.
* A sender claims rows with SELECT ... FOR UPDATE SKIP LOCKED and marks them
  `sending` before it talks to SMTP, so two tasks for the same row, or a task
  and the drain, never both send it.
* After the SMTP server accepts a message the row is marked `sent` in its own
  short transaction, before the next message of the batch. A crash in
  between (a killed worker, a lost database connection) is the only way an
  e-mail can go out twice: the claim is then released (by the redelivered
  task, or by the drain once the claim's lease has run out) and the message is
  sent again.
* A claim is a lease of MAIL_CLAIM_TIMEOUT_SECONDS (60), renewed by its
  sender every quarter of that while it works through its batch, and checked
  before each message: a sender that lost its lease skips the rest. So the
  rows a killed worker held are released by the drain (every minute) within
  about two minutes, instead of waiting for Redis to redeliver the task (its
  visibility timeout is hours), and only the message in flight at the kill
  can go twice. The window is one round trip to the database per message; the
  repeated message carries the same Message-ID, so mail clients show it once.
  On PostgreSQL that mark is committed without waiting for the disk (see
  `delivery._record_sent`), which adds a crash of the database server
  itself, within a fraction of a second of the mark, to that one window.
"""
