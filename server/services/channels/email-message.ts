/** An e-mail gpu-roi sends (alerts, the monthly chargeback report), whatever carries it. */
export interface EmailMessage {
  to: readonly string[];
  subject: string;
  /** Plain-text body, always present for clients that do not render HTML. */
  text: string;
  html?: string;
  attachments?: readonly { filename: string; contentType: string; content: string }[];
}

/** Sends one message; rejects when the server refused it (the caller records the delivery's status and retries). */
export type SendEmail = (message: EmailMessage) => Promise<void>;
