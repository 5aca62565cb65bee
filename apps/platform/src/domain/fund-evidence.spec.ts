import { checkEvidenceUpload } from './fund-evidence';

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(20)]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(20)]);
const pdf = Buffer.from('%PDF-1.7\n...');
const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);

describe('evidence uploads', () => {
  it('accepts allowed types whose content matches', () => {
    expect(checkEvidenceUpload('image/png', png)).toEqual({ ok: true, contentType: 'image/png' });
    expect(checkEvidenceUpload('IMAGE/JPEG', jpeg)).toEqual({ ok: true, contentType: 'image/jpeg' });
    expect(checkEvidenceUpload('application/pdf; charset=binary', pdf)).toEqual({ ok: true, contentType: 'application/pdf' });
    expect(checkEvidenceUpload('image/webp', webp)).toEqual({ ok: true, contentType: 'image/webp' });
  });

  it('refuses other types, mismatching content, empty and oversized files', () => {
    expect(checkEvidenceUpload('application/x-msdownload', Buffer.from('MZ...'))).toMatchObject({ ok: false, status: 415 });
    expect(checkEvidenceUpload(undefined, png)).toMatchObject({ ok: false, status: 415 });
    expect(checkEvidenceUpload('image/png', jpeg)).toMatchObject({ ok: false, status: 415, message: "the file's content is not image/png" });
    expect(checkEvidenceUpload('image/png', Buffer.alloc(0))).toMatchObject({ ok: false, status: 400 });
    expect(checkEvidenceUpload('image/png', png, 10)).toMatchObject({ ok: false, status: 413 });
  });
});
