import socket, struct, subprocess, sys
TYPES = {'A':1,'NS':2,'CNAME':5,'SOA':6,'PTR':12,'HINFO':13,'MX':15,'TXT':16,'AAAA':28,'SRV':33,'DS':43,'SSHFP':44,'DNSKEY':48,'NSEC3PARAM':51,'TLSA':52,'CDS':59,'CDNSKEY':60,'SVCB':64,'HTTPS':65,'CAA':257,'TYPE65280':65280}
def q(name, t, qid):
    h = struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 1)
    n = b''.join(bytes([len(l)]) + l.encode() for l in name.rstrip('.').split('.') if l) + b'\0'
    opt = b'\0' + struct.pack('>HHIH', 41, 1232, 0x8000, 0)
    return h + n + struct.pack('>HH', TYPES[t], 1) + opt
cases = [l.split() for l in sys.stdin.read().splitlines() if l.strip()]
for i, (label, name, t) in enumerate(cases):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(q(name, t, 0x1000 + i), ('127.0.0.1', 5399))
    resp = s.recv(65535)
    open(f'{label}.hex', 'w').write(resp.hex() + '\n')
    out = subprocess.run(['dig', '+dnssec', '+norec', '+nocookie', '+bufsize=1232', '@127.0.0.1', '-p', '5399', name, t], capture_output=True, text=True).stdout
    open(f'{label}.dig', 'w').write(out)
    print(label, len(resp))
