/**
 * SendEmail over SMTP with nodemailer: alert notices and the monthly chargeback
 * report go through it. Settings come from the server's configuration
 * (GPU_ROI_SMTP_*, server/config/server-settings.ts).
 */
import nodemailer from "nodemailer";
import type { SendEmail } from "./email-message";

export interface SmtpSettings {
  host: string;
  port: number;
  /** true: TLS from the start (port 465); false: plain, upgraded with STARTTLS when the server offers it. */
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
  /** Refuse to send unless the connection is upgraded to TLS (requireTLS). */
  requireTls: boolean;
}

export function smtpSendEmail(settings: SmtpSettings): SendEmail {
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    auth: settings.user ? { user: settings.user, pass: settings.password ?? "" } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return async (message) => {
    if (message.to.length === 0) throw new Error("e-mail: no recipients");
    await transport.sendMail({
      from: settings.from,
      to: [...message.to],
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments?.map((attachment) => ({ filename: attachment.filename, contentType: attachment.contentType, content: attachment.content })),
    });
  };
}
